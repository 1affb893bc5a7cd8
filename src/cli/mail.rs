//! Reports as complete e-mail messages for `sendmail -t` or msmtp: headers
//! (From, To, a UTF-8 Subject, Date, Message-ID) and a multipart/alternative
//! body with the report as plain text (its Markdown) and as HTML, built
//! with lettre's message builder. Lines end in LF, as sendmail and msmtp
//! read a message on stdin; the MIME boundary and the Message-ID are made
//! from the content, so the same report gives the same message.

use std::time::SystemTime;

use lettre::message::{Mailbox, Message, MultiPart, SinglePart};
use sha2::{Digest, Sha256};

use super::ctx::{print, Ctx};
use super::error::{CliError, CliResult};
use super::i18n::Catalog;
use crate::model::{Role, Staff, StoreConfig};

/// Who a message is from.
pub struct Sender {
    mailbox: Mailbox,
}

impl Sender {
    /// `[report] from` in crm.toml, else `crm (COMPANY) <crm@DOMAIN>` with
    /// the domain of the first active admin's e-mail (of `staff`, by
    /// handle), else `localhost`.
    pub fn of(config: &StoreConfig, staff: &[Staff]) -> CliResult<Sender> {
        if let Some(from) = &config.report.from {
            let mailbox = from.parse().map_err(|e| {
                CliError::usage(format!("crm.toml: [report] from = {from:?} is not an e-mail address ({e})"))
            })?;
            return Ok(Sender { mailbox });
        }
        let domain = staff
            .iter()
            .filter(|p| p.role == Role::Admin && p.is_active())
            .find_map(|p| p.email.rsplit_once('@').map(|(_, d)| d.to_string()))
            .filter(|d| !d.is_empty())
            .unwrap_or_else(|| "localhost".into());
        let address = format!("crm@{domain}")
            .parse()
            .or_else(|_| "crm@localhost".parse())
            .map_err(|e| CliError::usage(format!("no sender address for the mail: {e}")))?;
        Ok(Sender { mailbox: Mailbox::new(Some(format!("crm ({})", config.company.name)), address) })
    }

    /// The domain of the sender's address (for Message-IDs).
    fn domain(&self) -> &str {
        self.mailbox.email.domain()
    }
}

/// One message: to whom, about what, and the report in both forms.
pub struct Letter<'a> {
    /// The recipients (their names and e-mails).
    pub to: &'a [Staff],
    /// The subject, in any language.
    pub subject: String,
    /// The plain-text body (the report's Markdown).
    pub text: String,
    /// The HTML body (the report's page).
    pub html: String,
    /// What the message is, for its Message-ID (`handover`, `digest.HANDLE`).
    pub kind: String,
}

/// The recipients of `people` that have a usable e-mail address, and a
/// line for each that has not.
fn mailboxes(people: &[Staff]) -> (Vec<Mailbox>, Vec<String>) {
    let mut found = Vec::new();
    let mut problems = Vec::new();
    for p in people {
        match p.email.parse() {
            Ok(address) => found.push(Mailbox::new(Some(p.name.clone()).filter(|n| !n.is_empty()), address)),
            Err(e) => {
                problems.push(format!("{} ({}) has no usable e-mail address {:?}: {e}", p.handle, p.name, p.email))
            }
        }
    }
    (found, problems)
}

/// `letter` as a whole message from `sender`, dated `date`, and a line for
/// each recipient left out for want of a usable address.
pub fn compose(sender: &Sender, letter: &Letter, date: SystemTime) -> CliResult<(String, Vec<String>)> {
    let (to, problems) = mailboxes(letter.to);
    if to.is_empty() {
        let why = if problems.is_empty() { String::new() } else { format!(": {}", problems.join("; ")) };
        return Err(CliError::usage(format!("nobody to send the message to{why}")));
    }
    let digest = Sha256::new()
        .chain_update(letter.kind.as_bytes())
        .chain_update(letter.subject.as_bytes())
        .chain_update(letter.html.as_bytes())
        .finalize();
    let hash: String = digest.iter().take(10).map(|b| format!("{b:02x}")).collect();
    let mut builder = Message::builder()
        .from(sender.mailbox.clone())
        .subject(letter.subject.clone())
        .date(date)
        .message_id(Some(format!("<crm.{}.{hash}@{}>", letter.kind, sender.domain())));
    for mailbox in to {
        builder = builder.to(mailbox);
    }
    let body = MultiPart::alternative()
        .boundary(format!("crm-{hash}"))
        .singlepart(SinglePart::plain(letter.text.clone()))
        .singlepart(SinglePart::html(letter.html.clone()));
    let message = builder.multipart(body).map_err(|e| CliError::usage(format!("cannot build the message: {e}")))?;
    Ok((String::from_utf8_lossy(&message.formatted()).replace("\r\n", "\n"), problems))
}

/// A subject as the reports' mail starts it: `[crm]`, a warning when the
/// message carries one, then `subject`.
pub fn subject(cat: &Catalog, subject: &str, warning: bool) -> String {
    match warning {
        true => format!("[crm] {} {subject}", cat.text("mail-subject-warning")),
        false => format!("[crm] {subject}"),
    }
}

/// Writes `letter` from `sender` to stdout as a whole message dated now,
/// and a warning on stderr for each recipient without a usable address.
pub fn send(ctx: &Ctx, sender: &Sender, letter: &Letter) -> CliResult {
    let (message, left_out) = compose(sender, letter, ctx.now())?;
    for line in left_out {
        ctx.status(format!("warning: left out of the message: {line}"));
    }
    print(&message)
}
