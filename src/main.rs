/// glibc's malloc for the app, jemalloc for bulk writes (see `konto::alloc`).
#[global_allocator]
static ALLOCATOR: konto::alloc::PerRun = konto::alloc::PerRun;

fn main() -> std::process::ExitCode {
    konto::cli::main()
}
