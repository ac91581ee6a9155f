//! Working side by side on the team store: another operator's commit
//! reaches a running app through the store's change feed (two stores on
//! one database, the second's app state fed by its poll as the runtime
//! feeds it), and two real konto processes in terminals see each other's
//! saves without a key press.

mod common;

use std::time::Duration;

use common::pg::team_with;
use common::pg::{konto_on as konto, ok, server};
use konto::app::{self, Command, Mode, State};
use konto::domain::FieldId;
use konto::domain::{AuditAction, Cloud, Customer};
use konto::store::{PgTarget, Store};

/// Two operators' stores on one fresh database with the fixtures, and the
/// second's app state on its list, with its feed's starting number.
struct SideBySide {
    mine: Store,
    theirs: Store,
    state: State,
    cursor: u64,
    url: String,
    _dir: tempfile::TempDir,
}

impl SideBySide {
    fn new() -> SideBySide {
        let url = server().unwrap().initialised_database();
        let target = PgTarget::parse(&url).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let mine = Store::connect(&target, dir.path()).unwrap();
        mine.seed_if_new(&common::customers()).unwrap();
        let theirs = Store::connect(&target, dir.path()).unwrap();
        let cursor = theirs
            .change_cursor()
            .unwrap()
            .expect("a feed on PostgreSQL");
        let state = common::state_with(theirs.customers(Cloud::Commercial).unwrap());
        SideBySide {
            mine,
            theirs,
            state,
            cursor,
            url,
            _dir: dir,
        }
    }

    /// The runtime's poll: what changed since the last one, into the state.
    fn poll(&mut self) -> Command {
        let action = konto::tui::poll_changes(&self.theirs, &self.state, &mut self.cursor).unwrap();
        let command = action.map_or(Command::None, |a| app::update(&mut self.state, a));
        finish_filter(&mut self.state);
        command
    }

    /// The second operator's runtime carrying out `command` (a commit).
    fn perform(&mut self, command: Command) {
        let Command::Commit { action, record } = command else {
            panic!("expected a commit, got {command:?}");
        };
        let result = konto::tui::commit(&self.theirs, "them", action, &record);
        app::update(&mut self.state, result);
    }

    /// I commit a change of customer `id`.
    fn change(&self, id: &str, edit: impl FnOnce(&mut Customer)) -> Customer {
        let mut c = self.mine.get(Cloud::Commercial, id).unwrap().unwrap();
        edit(&mut c);
        common::saved(self.mine.commit("me", AuditAction::Update, &c).unwrap())
    }

    fn visible_ids(&self) -> Vec<String> {
        (0..self.state.visible().len())
            .filter_map(|n| self.state.list.row(n).map(|r| r.id().to_string()))
            .collect()
    }
}

fn finish_filter(state: &mut State) {
    while state.filter_pending() {
        state.filter_step(1_000);
    }
}

fn a_commit_elsewhere_shows_at_the_next_poll_and_the_selection_stays() {
    let mut team = SideBySide::new();
    common::keys(&mut team.state, "jj");
    let selected = team.state.selected_id().unwrap();
    let other = team
        .visible_ids()
        .into_iter()
        .find(|id| *id != selected)
        .unwrap();
    // Renamed to the top of the list: the rows move under the selection.
    team.change(&other, |c| {
        c.company.name = "AAA Erste GmbH".into();
        c.billing.address.city = "Ulm".into();
    });
    assert_eq!(team.poll(), Command::None);
    assert_eq!(team.state.selected_id().as_deref(), Some(selected.as_str()));
    assert_eq!(team.visible_ids()[0], other);
    let row = team.state.list.row(0).unwrap();
    assert_eq!(
        (row.name(), row.city(), row.version()),
        ("AAA Erste GmbH", "Ulm", 2)
    );
    assert_eq!(
        team.state.record(&other).unwrap().billing.address.city,
        "Ulm"
    );
    // The same change is not taken twice: nothing new, nothing moves.
    let before = team.visible_ids();
    team.poll();
    assert_eq!(team.visible_ids(), before);
    assert_eq!(team.state.list.listing.len(), 5);
}

fn a_filtered_list_matches_changed_rows_again() {
    let mut team = SideBySide::new();
    common::keys(&mut team.state, "/ulm<Enter>");
    finish_filter(&mut team.state);
    assert!(team.visible_ids().is_empty());
    team.change("c-3", |c| c.billing.address.city = "Ulm".into());
    team.poll();
    assert_eq!(team.visible_ids(), ["c-3"]);
    // Changed so that it no longer matches: it leaves the list.
    team.change("c-3", |c| c.billing.address.city = "Bonn".into());
    team.poll();
    assert!(team.visible_ids().is_empty());
}

fn a_bulk_import_elsewhere_reloads_the_list() {
    let mut team = SideBySide::new();
    let dir = tempfile::tempdir().unwrap();
    let url = team.url.clone();
    ok(&konto(
        dir.path(),
        &url,
        &["gen", "--count", "1200", "--seed", "3"],
    ));
    common::keys(&mut team.state, "jj<Space>");
    let selected = team.state.selected_id().unwrap();
    assert_eq!(team.poll(), Command::Load(Cloud::Commercial));
    // The runtime's load: the whole list again; the selection and the
    // marks stay on their customers.
    let listed = team.theirs.customers(Cloud::Commercial).unwrap();
    app::update(
        &mut team.state,
        app::Action::loaded(Cloud::Commercial, listed),
    );
    assert_eq!(team.state.list.total(), 1205);
    assert_eq!(team.state.selected_id(), Some(selected));
    assert_eq!(team.state.marked.len(), 1);
}

/// Numbers this app has not seen were pruned (the feed keeps a week):
/// it reloads the list instead of missing them.
fn a_reader_behind_the_pruned_feed_reloads() {
    let mut team = SideBySide::new();
    team.change("c-1", |c| c.billing.address.city = "Ulm".into());
    let mut owner = postgres::Client::connect(&team.url, postgres::NoTls).unwrap();
    owner.execute("DELETE FROM konto.changes", &[]).unwrap();
    team.change("c-2", |c| c.billing.address.city = "Bonn".into());
    assert_eq!(team.poll(), Command::Load(Cloud::Commercial));
    // From then on, as before.
    team.change("c-3", |c| c.billing.address.city = "Jena".into());
    assert_eq!(team.poll(), Command::None);
    assert_eq!(
        team.state.record("c-3").unwrap().billing.address.city,
        "Jena"
    );
}

/// A writer that started first commits first in the feed: the second waits
/// for the first's number, so a reader never sees the second's without the
/// first's (a `bigserial` would let it).
fn commits_reach_the_feed_in_the_order_they_commit() {
    let mut team = SideBySide::new();
    let url = team.url.clone();
    let mut first = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    let mut tx = first.transaction().unwrap();
    tx.execute(
        "UPDATE konto.customers SET billing_address_city = 'Ulm', version = version + 1 \
         WHERE id = 'c-1'",
        &[],
    )
    .unwrap();
    let target = PgTarget::parse(&url).unwrap();
    let second = std::thread::spawn(move || {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::connect(&target, dir.path()).unwrap();
        let mut c = store.get(Cloud::Commercial, "c-2").unwrap().unwrap();
        c.billing.address.city = "Bonn".into();
        store.commit("b", AuditAction::Update, &c).unwrap();
    });
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        !second.is_finished(),
        "the second writer waits for the first"
    );
    team.poll();
    assert_eq!(
        team.state.record("c-2").unwrap().billing.address.city,
        "Stuttgart"
    );
    tx.commit().unwrap();
    second.join().unwrap();
    team.poll();
    assert_eq!(
        team.state.record("c-1").unwrap().billing.address.city,
        "Ulm"
    );
    assert_eq!(
        team.state.record("c-2").unwrap().billing.address.city,
        "Bonn"
    );
}

/// An open form is told who changed its customer; its Submit then opens
/// the merge view, where what was typed is kept and theirs merges in.
fn an_open_form_is_told_and_a_stale_submit_merges_keeping_the_typing() {
    let mut team = SideBySide::new();
    let id = team.state.selected_id().unwrap();
    common::keys(&mut team.state, "u");
    common::focus(&mut team.state, FieldId::Phone);
    common::keys(&mut team.state, "<C-u>+49 711 987654");
    team.change(&id, |c| {
        c.billing.address.city = "Ulm".into();
        c.billing.phone = "+49 731 111222".into();
    });
    team.poll();
    let banner = common::form(&team.state).changed_elsewhere.clone().unwrap();
    assert!(banner.starts_with("⚠ changed by konto "), "{banner}");
    assert!(banner.ends_with(", v1 → v2: Phone, City"), "{banner}");
    assert_eq!(
        common::form(&team.state).value(FieldId::Phone),
        "+49 711 987654"
    );
    // Submit on version 1: the store refuses, the merge view opens.
    common::keys(&mut team.state, "<C-s>");
    let command = common::keys(&mut team.state, "<Enter>");
    team.perform(command);
    assert_eq!(team.state.mode(), Mode::Conflict);
    // The phone both changed: mine unless chosen; the city merges by itself.
    common::keys(&mut team.state, "<Enter>");
    let form = common::form(&team.state);
    assert_eq!(form.original.version, 2);
    assert_eq!(form.value(FieldId::Phone), "+49 711 987654");
    assert_eq!(form.value(FieldId::City), "Ulm");
    assert!(form.changed_elsewhere.is_none());
    common::keys(&mut team.state, "<C-s>");
    let command = common::keys(&mut team.state, "<Enter>");
    team.perform(command);
    let stored = team.theirs.get(Cloud::Commercial, &id).unwrap().unwrap();
    assert_eq!(stored.version, 3);
    assert_eq!(stored.billing.address.city, "Ulm");
    assert_eq!(stored.billing.phone.replace(' ', ""), "+49711987654");
}

fn two_konto_processes_see_each_others_saves_without_a_key() {
    let (dir, url) = team_with(30, 9);
    let args = ["--store", url.as_str()];
    let mut editor = common::pty::Session::start_on(dir.path(), 100, 30, &[], &args);
    let watcher = common::pty::Session::start_on(dir.path(), 100, 30, &[], &args);
    for app in [&editor, &watcher] {
        app.wait_for("30/30 customers");
    }
    editor.save_company_name("AAA Live Zusammenarbeit GmbH");
    // No key is pressed in the watcher: only its feed can show the save
    // (how soon is measured in benches/team_feed.rs, not here).
    watcher.wait_for("AAA Live Zusammenarbeit GmbH");
    editor.send("q");
    assert_eq!(editor.wait_exit(), 0);
}

fn main() {
    common::pg::run_all(
        "team_live",
        &[
            (
                "a_commit_elsewhere_shows_at_the_next_poll_and_the_selection_stays",
                a_commit_elsewhere_shows_at_the_next_poll_and_the_selection_stays,
            ),
            (
                "a_filtered_list_matches_changed_rows_again",
                a_filtered_list_matches_changed_rows_again,
            ),
            (
                "a_bulk_import_elsewhere_reloads_the_list",
                a_bulk_import_elsewhere_reloads_the_list,
            ),
            (
                "a_reader_behind_the_pruned_feed_reloads",
                a_reader_behind_the_pruned_feed_reloads,
            ),
            (
                "commits_reach_the_feed_in_the_order_they_commit",
                commits_reach_the_feed_in_the_order_they_commit,
            ),
            (
                "an_open_form_is_told_and_a_stale_submit_merges_keeping_the_typing",
                an_open_form_is_told_and_a_stale_submit_merges_keeping_the_typing,
            ),
            (
                "two_konto_processes_see_each_others_saves_without_a_key",
                two_konto_processes_see_each_others_saves_without_a_key,
            ),
        ],
    )
}
