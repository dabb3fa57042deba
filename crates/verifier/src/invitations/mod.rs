//! Invitations: one session per customer of a bank's list, with the bank's own
//! customer reference kept beside the session in the store. The reference is the key
//! of an invitation within its batch, so inviting the same list again makes no second
//! invitation; it never enters the registration code, so no wallet ever sees it.
//!
//! An invitation's status is read from its session: `pending`, `approved`, `review`,
//! `rejected`, `declined`, `expired` or `withdrawn`.

use std::collections::{BTreeMap, HashMap};

use alloy::primitives::B256;
use serde::{Deserialize, Serialize};

use crate::{
    clock::unix_now, Error, Result, Session, SessionRecord, SessionRequest, SessionStatus, Store,
    Verifier,
};

mod csv;
mod files;

pub use csv::{result_csv, RESULT_CSV_HEADER};
pub use files::{write_files, Invited};

/// How long an invitation stays open unless told otherwise: people answer a letter or
/// a text message in days, not minutes.
pub const DEFAULT_INVITATION_TTL: std::time::Duration = std::time::Duration::from_secs(10 * 86_400);
/// The longest customer reference, in bytes.
pub const MAX_REFERENCE_BYTES: usize = 128;
/// The longest row of a CSV file, in bytes.
pub const MAX_ROW_BYTES: usize = 16 * 1024;
/// The longest batch ID, in bytes.
pub const MAX_BATCH_BYTES: usize = 64;

/// A batch of invitations: the bank's name for one list, `[A-Za-z0-9._-]`, 1 to 64 bytes.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BatchId(String);

impl BatchId {
    /// Reads a batch ID.
    pub fn parse(text: &str) -> Result<Self> {
        let valid = !text.is_empty()
            && text.len() <= MAX_BATCH_BYTES
            && text
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
        match valid {
            true => Ok(Self(text.to_owned())),
            false => Err(Error::InvalidBatch),
        }
    }

    /// The batch a list's file name gives: `customers-2026-11.csv` is `customers-2026-11`.
    pub fn of_file(path: &std::path::Path) -> Result<Self> {
        Self::parse(
            path.file_stem()
                .and_then(|stem| stem.to_str())
                .unwrap_or_default(),
        )
    }

    /// The ID as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A bank's customer reference: 1 to 128 bytes of text without control or
/// bidirectional formatting characters, white space around it removed.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Reference(String);

impl Reference {
    /// Reads a reference, trimmed of surrounding white space.
    pub fn parse(text: &str) -> Result<Self, RowProblem> {
        let text = text.trim();
        if text.is_empty() {
            return Err(RowProblem::MissingReference);
        }
        if text.len() > MAX_REFERENCE_BYTES {
            return Err(RowProblem::ReferenceTooLong { bytes: text.len() });
        }
        if text.chars().any(kyc_core::text::is_hidden) {
            return Err(RowProblem::ControlCharacter);
        }
        Ok(Self(text.to_owned()))
    }

    /// The reference as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Why a row of a list makes no invitation. Messages never quote the row.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RowProblem {
    /// The reference is empty or the row has no reference column.
    #[error("no reference")]
    MissingReference,
    /// The reference is over [`MAX_REFERENCE_BYTES`].
    #[error("the reference is {bytes} bytes long, over the limit of {MAX_REFERENCE_BYTES}")]
    ReferenceTooLong {
        /// Its length.
        bytes: usize,
    },
    /// The reference holds a control or bidirectional formatting character.
    #[error("the reference holds a control character")]
    ControlCharacter,
    /// The reference is not UTF-8.
    #[error("the reference is not UTF-8")]
    NotUtf8,
    /// An earlier row has the same reference.
    #[error("the reference of line {first_line} again")]
    DuplicateReference {
        /// The row that has it first.
        first_line: u64,
    },
    /// A quote opens inside a field, a closing quote is not followed by a comma or the
    /// end of the line, or a quoted field never ends.
    #[error("bad quoting")]
    BadQuoting,
    /// The row is over [`MAX_ROW_BYTES`].
    #[error("the row is over the limit of {MAX_ROW_BYTES} bytes")]
    RowTooLong,
    /// The row has another number of fields than the header.
    #[error("{found} fields where the header has {expected}")]
    FieldCount {
        /// The header's fields.
        expected: usize,
        /// The row's.
        found: usize,
    },
}

impl RowProblem {
    /// A machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::MissingReference => "missing_reference",
            Self::ReferenceTooLong { .. } => "reference_too_long",
            Self::ControlCharacter => "control_character",
            Self::NotUtf8 => "not_utf8",
            Self::DuplicateReference { .. } => "duplicate_reference",
            Self::BadQuoting => "bad_quoting",
            Self::RowTooLong => "row_too_long",
            Self::FieldCount { .. } => "field_count",
        }
    }
}

/// A row of a list that makes no invitation, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SkippedRow {
    /// The line of the CSV file the row starts on (the header is line 1), or the
    /// position of the reference in a list, from 1.
    pub line: u64,
    /// Why it is skipped.
    pub problem: RowProblem,
}

impl Serialize for SkippedRow {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut row = serializer.serialize_struct("SkippedRow", 3)?;
        row.serialize_field("line", &self.line)?;
        row.serialize_field("error", self.problem.code())?;
        row.serialize_field("message", &self.problem.to_string())?;
        row.end()
    }
}

impl std::fmt::Display for SkippedRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}, skipped", self.line, self.problem)
    }
}

/// The references of a list, each with its line, and the rows skipped.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Rows {
    /// The references to invite, in the list's order, each once.
    pub references: Vec<(u64, Reference)>,
    /// The rows that make no invitation.
    pub skipped: Vec<SkippedRow>,
}

impl Rows {
    /// A CSV file with a header row naming a `reference` column (see [`csv`](self)):
    /// every other column is ignored. A malformed row is skipped with its line; an error
    /// only when the header has no single `reference` column.
    pub fn from_csv(bytes: &[u8]) -> Result<Self> {
        csv::read(bytes)
    }

    /// The CSV file at `path`, as [`Rows::from_csv`] reads it.
    pub fn read_csv(path: &std::path::Path) -> Result<Self> {
        let bytes = std::fs::read(path).map_err(kyc_fs::Error::at("cannot read", path))?;
        Self::from_csv(&bytes)
    }

    /// References given as a list; their lines are their positions, from 1.
    pub fn from_list<T: AsRef<str>>(references: &[T]) -> Self {
        let mut rows = RowsBuilder::default();
        for (position, text) in (1..).zip(references) {
            rows.push(position, Reference::parse(text.as_ref()));
        }
        rows.rows
    }
}

/// Rows as they are read: each reference kept once, at its first line.
#[derive(Default)]
struct RowsBuilder {
    rows: Rows,
    first_lines: HashMap<Reference, u64>,
}

impl RowsBuilder {
    /// Adds a row's reference, or skips the row: a problem, or a reference seen before.
    fn push(&mut self, line: u64, reference: Result<Reference, RowProblem>) {
        let problem = match reference {
            Ok(reference) => match self.first_lines.get(&reference) {
                None => {
                    self.first_lines.insert(reference.clone(), line);
                    return self.rows.references.push((line, reference));
                }
                Some(&first_line) => RowProblem::DuplicateReference { first_line },
            },
            Err(problem) => problem,
        };
        self.skip(line, problem);
    }

    fn skip(&mut self, line: u64, problem: RowProblem) {
        self.rows.skipped.push(SkippedRow { line, problem });
    }
}

kyc_core::coded_enum! {
    /// Where an invitation stands, read from its session.
    pub enum InvitationStatus {
        /// Open, unanswered.
        Pending = "pending",
        /// Answered and approved.
        Approved = "approved",
        /// Answered, authentic and attested, but a person must look.
        Review = "review",
        /// Answered by its subject and rejected.
        Rejected = "rejected",
        /// The person said no, and no answer came since.
        Declined = "declined",
        /// Never answered, and its time to live has passed.
        Expired = "expired",
        /// Approved or reviewed, then the person withdrew consent.
        Withdrawn = "withdrawn",
    }
}

impl InvitationStatus {
    /// Every status, in the order summaries list them.
    pub const ALL: [Self; 7] = [
        Self::Pending,
        Self::Approved,
        Self::Review,
        Self::Rejected,
        Self::Declined,
        Self::Expired,
        Self::Withdrawn,
    ];

    /// The status of an invitation's session at `now` (Unix seconds).
    pub fn of(record: &SessionRecord, now: u64) -> Self {
        match SessionStatus::of(record, now) {
            SessionStatus::Pending => Self::Pending,
            SessionStatus::Verified => Self::Approved,
            SessionStatus::Review => Self::Review,
            SessionStatus::Refused => Self::Rejected,
            SessionStatus::Declined => Self::Declined,
            SessionStatus::Expired => Self::Expired,
            SessionStatus::Withdrawn => Self::Withdrawn,
        }
    }
}

/// An invitation and where it stands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Invitation {
    /// The bank's customer reference.
    pub reference: String,
    /// The batch it belongs to.
    pub batch: String,
    /// The registration ID of its session.
    pub registration_id: B256,
    /// The six-digit check code of the registration ID, as the wallet shows it.
    pub check_code: String,
    /// The registration URI: the link to send, and what the QR code holds.
    pub uri: String,
    /// Where it stands.
    pub status: InvitationStatus,
    /// When it was made (Unix seconds).
    pub created_at: u64,
    /// When it expires unanswered (Unix seconds).
    pub expires_at: u64,
    /// When it was answered (Unix seconds), if it was.
    pub answered_at: Option<u64>,
    /// When the person first declined (Unix seconds), if they did.
    pub declined_at: Option<u64>,
    /// When the person withdrew consent (Unix seconds), if they did.
    pub withdrawn_at: Option<u64>,
}

impl Invitation {
    /// The invitation of a stored reference, at `now` (Unix seconds).
    pub fn of(stored: &StoredInvitation, now: u64) -> Self {
        let record = &stored.record;
        let session = &record.session;
        Self {
            reference: stored.reference.clone(),
            batch: stored.batch.clone(),
            registration_id: session.registration_id,
            check_code: kyc_core::check_code::check_code(&session.registration_id),
            uri: session.uri().to_uri_string(),
            status: InvitationStatus::of(record, now),
            created_at: session.created_at,
            expires_at: session.expires_at,
            answered_at: record.used_at,
            declined_at: record.declined_at,
            withdrawn_at: record.withdrawn_at,
        }
    }
}

/// An invitation as the store keeps it: the reference beside its session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredInvitation {
    /// The batch.
    pub batch: String,
    /// The bank's customer reference.
    pub reference: String,
    /// The session and what became of it.
    pub record: SessionRecord,
}

/// How many invitations stand at each status; every status is counted, zero or not.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct StatusCounts(BTreeMap<InvitationStatus, u64>);

impl StatusCounts {
    /// The counts of `invitations`.
    pub fn of<'a>(invitations: impl IntoIterator<Item = &'a Invitation>) -> Self {
        let mut counts: BTreeMap<_, _> = InvitationStatus::ALL.map(|status| (status, 0)).into();
        for invitation in invitations {
            *counts.entry(invitation.status).or_default() += 1;
        }
        Self(counts)
    }

    /// How many stand at `status`.
    pub fn get(&self, status: InvitationStatus) -> u64 {
        self.0.get(&status).copied().unwrap_or_default()
    }

    /// How many there are in all.
    pub fn total(&self) -> u64 {
        self.0.values().sum()
    }
}

/// `4 invitations: 1 pending, 1 approved, 0 review, …`, every status counted.
impl std::fmt::Display for StatusCounts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let counts: Vec<String> = self
            .0
            .iter()
            .map(|(status, count)| format!("{count} {status}"))
            .collect();
        write!(f, "{} invitations: {}", self.total(), counts.join(", "))
    }
}

/// Which invitations to list.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct InvitationFilter {
    /// Those of one batch only.
    pub batch: Option<BatchId>,
    /// Those at one status only.
    pub status: Option<InvitationStatus>,
}

/// Invitations and the counts of their statuses.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InvitationList {
    /// The invitations the filter selects, in the order they were made.
    pub invitations: Vec<Invitation>,
    /// The count of each status among the invitations of the batch (or of every
    /// batch), whatever the status filter.
    pub summary: StatusCounts,
}

/// A table, one invitation a line (reference, status, when made, when it expires, when
/// last answered, declined or withdrawn, registration ID), then the summary line.
impl std::fmt::Display for InvitationList {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use kyc_core::{text::printable, time::format_time};
        let references: Vec<_> = self
            .invitations
            .iter()
            .map(|invitation| printable(&invitation.reference))
            .collect();
        let width = references
            .iter()
            .map(|reference| reference.chars().count())
            .chain(["REFERENCE".len()])
            .max()
            .unwrap_or_default();
        let row = |f: &mut std::fmt::Formatter<'_>, cells: [&str; 6]| {
            let [reference, status, created, expires, changed, id] = cells;
            writeln!(
                f,
                "{reference:width$}  {status:9}  {created:20}  {expires:20}  {changed:20}  {id}"
            )
        };
        row(
            f,
            [
                "REFERENCE",
                "STATUS",
                "CREATED",
                "EXPIRES",
                "CHANGED",
                "REGISTRATION",
            ],
        )?;
        for (invitation, reference) in self.invitations.iter().zip(&references) {
            let changed = [
                invitation.withdrawn_at,
                invitation.answered_at,
                invitation.declined_at,
            ]
            .into_iter()
            .flatten()
            .next()
            .map_or_else(|| "-".to_owned(), format_time);
            row(
                f,
                [
                    reference,
                    invitation.status.code(),
                    &format_time(invitation.created_at),
                    &format_time(invitation.expires_at),
                    &changed,
                    &invitation.registration_id.to_string(),
                ],
            )?;
        }
        write!(f, "{}", self.summary)
    }
}

/// The invitations `filter` selects, as they stand now.
pub async fn list<S: Store>(store: &S, filter: &InvitationFilter) -> Result<InvitationList> {
    let now = unix_now()?;
    let stored = store
        .invitations(filter.batch.as_ref().map(BatchId::as_str))
        .await?;
    let all: Vec<Invitation> = stored
        .iter()
        .map(|stored| Invitation::of(stored, now))
        .collect();
    let summary = StatusCounts::of(&all);
    let invitations = all
        .into_iter()
        .filter(|invitation| {
            filter
                .status
                .is_none_or(|status| invitation.status == status)
        })
        .collect();
    Ok(InvitationList {
        invitations,
        summary,
    })
}

/// What inviting a list did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct InvitationReport {
    /// The batch.
    pub batch: String,
    /// How many invitations were made now.
    pub created: u64,
    /// How many references of the list were invited before, and keep their invitation.
    pub existing: u64,
    /// The invitation of every reference, in the list's order.
    pub invitations: Vec<Invitation>,
    /// The rows that make no invitation.
    pub skipped: Vec<SkippedRow>,
}

impl<S: Store> Verifier<S> {
    /// Invites every reference of `rows` in `batch` with a session of `request` each,
    /// all stored in one transaction. A reference already invited in the batch keeps
    /// its invitation, as it stands: inviting a list again makes nothing new.
    pub async fn invite(
        &self,
        batch: &str,
        request: &SessionRequest,
        rows: Rows,
    ) -> Result<InvitationReport> {
        let batch = BatchId::parse(batch)?;
        let now = unix_now()?;
        let mut fresh = Vec::with_capacity(rows.references.len());
        for (_, reference) in &rows.references {
            let session = Session::open(request.clone(), self.chain_id(), self.registry(), now)?;
            fresh.push((reference.as_str().to_owned(), session));
        }
        let ids = self
            .store()
            .insert_invitations(batch.as_str(), &fresh)
            .await?;
        let created = fresh
            .iter()
            .zip(&ids)
            .filter(|((_, session), id)| session.registration_id == **id)
            .count();
        let records = self.store().sessions(&ids).await?;
        let mut invitations = Vec::with_capacity(ids.len());
        for ((reference, _), (record, id)) in fresh.into_iter().zip(records.into_iter().zip(&ids)) {
            let record = record.ok_or_else(|| Error::CorruptRow {
                what: "invitation",
                registration_id: id.to_string(),
                reason: "its session is missing".to_owned(),
            })?;
            let stored = StoredInvitation {
                batch: batch.as_str().to_owned(),
                reference,
                record,
            };
            invitations.push(Invitation::of(&stored, now));
        }
        let created = u64::try_from(created).unwrap_or(u64::MAX);
        let total = u64::try_from(invitations.len()).unwrap_or(u64::MAX);
        Ok(InvitationReport {
            batch: batch.as_str().to_owned(),
            created,
            existing: total - created,
            invitations,
            skipped: rows.skipped,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    #[test]
    fn a_lists_file_name_without_its_extension_is_its_batch() {
        let batch = BatchId::of_file(Path::new("lists/customers-2026-11.csv"));
        assert_eq!(batch.ok(), Some(BatchId("customers-2026-11".to_owned())));
        for refused in ["lists/customers 2026.csv", "lists/über.csv", "/"] {
            let batch = BatchId::of_file(Path::new(refused));
            assert!(matches!(batch, Err(Error::InvalidBatch)), "{refused}");
        }
    }

    #[test]
    fn a_list_that_cannot_be_read_is_named_in_the_error() {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let missing = dir.path().join("customers.csv");
        let error = Rows::read_csv(&missing).err().map(|e| e.to_string());
        let expected = format!("cannot read {}", missing.display());
        assert!(
            error.as_deref().is_some_and(|e| e.contains(&expected)),
            "{error:?}"
        );
    }
}
