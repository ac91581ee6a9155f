//! The whole list as one file, read in one go: a million rows load in a
//! fraction of a second where streaming them from the store's name index
//! takes two. The arena, slots and name order are written as they are in
//! memory (little-endian), and checked when read back: a damaged file is
//! no list (the store's is read instead), never a panic.

use std::io::{self, Read, Write};

use super::{COMMON_DOMAIN_ENDINGS, ENDING_BITS, Listing, Slot, UUID_ID};
use crate::domain::Cloud;

/// v3: domains without their common ending, UUID ids as 16 bytes, slots of
/// 40 bytes.
const MAGIC: &[u8; 16] = b"konto list v3\n\0\0";
/// Bytes of a slot as written (as in memory).
const SLOT_BYTES: usize = 8 + 8 + 4 + 4 + 6 * 2 + 2 * 2;

fn invalid(why: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, why.to_string())
}

impl Slot {
    fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.updated.to_le_bytes());
        out.extend_from_slice(&self.letters_and_flags.to_le_bytes());
        out.extend_from_slice(&self.start.to_le_bytes());
        out.extend_from_slice(&self.version.to_le_bytes());
        for end in self.ends.iter().chain([&self.folded_at, &self.end]) {
            out.extend_from_slice(&end.to_le_bytes());
        }
    }

    /// A slot read back, if it points inside an arena of `text_len` bytes
    /// with its fields in order.
    fn read(bytes: &[u8], text_len: usize) -> Option<Slot> {
        let u64_at = |at: usize| Some(u64::from_le_bytes(bytes.get(at..at + 8)?.try_into().ok()?));
        let u32_at = |at: usize| Some(u32::from_le_bytes(bytes.get(at..at + 4)?.try_into().ok()?));
        let u16_at = |at: usize| Some(u16::from_le_bytes(bytes.get(at..at + 2)?.try_into().ok()?));
        let mut ends = [0u16; 6];
        for (n, end) in ends.iter_mut().enumerate() {
            *end = u16_at(24 + 2 * n)?;
        }
        let slot = Slot {
            updated: u64_at(0)? as i64,
            letters_and_flags: u64_at(8)?,
            start: u32_at(16)?,
            version: u32_at(20)?,
            ends,
            folded_at: u16_at(36)?,
            end: u16_at(38)?,
        };
        let flags = slot.flags();
        let in_order = ends.windows(2).all(|w| w[0] <= w[1])
            && ends[5] <= slot.field_end(6)
            && slot.field_end(6) <= slot.end
            && flags & !(ENDING_BITS | UUID_ID) == 0
            && usize::from(flags & ENDING_BITS) <= COMMON_DOMAIN_ENDINGS.len()
            && slot.folded_at <= slot.end;
        let inside = slot.start().checked_add(usize::from(slot.end))? <= text_len;
        (in_order && inside).then_some(slot)
    }
}

impl Listing {
    /// Writes the list as `read_snapshot` reads it.
    pub fn write_snapshot(&self, out: &mut impl Write) -> io::Result<()> {
        out.write_all(MAGIC)?;
        for n in [self.text.len(), self.slots.len(), self.garbage] {
            out.write_all(&(n as u64).to_le_bytes())?;
        }
        out.write_all(self.text.as_bytes())?;
        let mut slots = Vec::with_capacity(self.slots.len() * SLOT_BYTES);
        for slot in &self.slots {
            slot.write(&mut slots);
        }
        out.write_all(&slots)?;
        let uuids: Vec<u8> = self.uuids.iter().flat_map(|u| u.to_le_bytes()).collect();
        out.write_all(&uuids)?;
        let by_name: Vec<u8> = self.by_name.iter().flat_map(|i| i.to_le_bytes()).collect();
        out.write_all(&by_name)
    }

    /// The list written by `write_snapshot`, checked.
    pub fn read_snapshot(cloud: Cloud, input: &mut impl Read) -> io::Result<Listing> {
        let mut head = [0u8; 16 + 3 * 8];
        input.read_exact(&mut head)?;
        if &head[..16] != MAGIC {
            return Err(invalid("not a kept list"));
        }
        let number = |n: usize| -> io::Result<usize> {
            let bytes: [u8; 8] = head[16 + 8 * n..24 + 8 * n]
                .try_into()
                .map_err(|_| invalid("short header"))?;
            usize::try_from(u64::from_le_bytes(bytes)).map_err(|_| invalid("too large"))
        };
        let (text_len, rows, garbage) = (number(0)?, number(1)?, number(2)?);
        // Sized up front (a doubling Vec would leave up to half unused), as
        // far as a sane list goes: `text_len` is only what the file says.
        let mut text = Vec::with_capacity(text_len.min(1 << 29));
        input.take(text_len as u64).read_to_end(&mut text)?;
        let text = String::from_utf8(text).map_err(|_| invalid("text not UTF-8"))?;
        if text.len() != text_len || u32::try_from(rows).is_err() {
            return Err(invalid("cut short"));
        }
        // Read a slot at a time (the input is buffered): reading them all
        // first would hold their bytes beside them (48 MB at a million).
        // The capacity is capped: `rows` is only what the file says.
        let mut slots = Vec::with_capacity(rows.min(1 << 22));
        let mut bytes = [0u8; SLOT_BYTES];
        for _ in 0..rows {
            input.read_exact(&mut bytes)?;
            let slot = Slot::read(&bytes, text.len());
            slots.push(slot.ok_or_else(|| invalid("a row points outside the text"))?);
        }
        let mut uuids = Vec::with_capacity(rows.min(1 << 22));
        let mut uuid = [0u8; 16];
        for _ in 0..rows {
            input.read_exact(&mut uuid)?;
            uuids.push(u128::from_le_bytes(uuid));
        }
        let mut by_name = Vec::with_capacity(rows.min(1 << 22));
        let mut index = [0u8; 4];
        for _ in 0..rows {
            input.read_exact(&mut index)?;
            let index = u32::from_le_bytes(index);
            if index as usize >= rows {
                return Err(invalid("a row out of the list"));
            }
            by_name.push(index);
        }
        Ok(Listing {
            cloud,
            text,
            slots,
            by_name,
            uuids,
            garbage,
            // Not kept: the runtime checks the records again after a start.
            attention: Vec::new(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_list_reads_back_as_written_and_a_damaged_one_not_at_all() {
        let mut customers = crate::demo::demo_customers().unwrap_or_default();
        customers[0].company.name = "Müller & Söhne".into();
        let listing = Listing::of_customers(Cloud::Commercial, &customers);
        let mut bytes = Vec::new();
        listing.write_snapshot(&mut bytes).unwrap();
        let back = Listing::read_snapshot(Cloud::Commercial, &mut bytes.as_slice()).unwrap();
        assert_eq!(back, listing);
        // Cut anywhere, or a row's offset moved past the text: refused.
        for cut in [10, 40, bytes.len() / 2, bytes.len() - 1] {
            assert!(Listing::read_snapshot(Cloud::Commercial, &mut &bytes[..cut]).is_err());
        }
        let first_slot = 16 + 24 + listing.text.len();
        let mut moved = bytes.clone();
        moved[first_slot + 16..first_slot + 20].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(Listing::read_snapshot(Cloud::Commercial, &mut moved.as_slice()).is_err());
    }
}
