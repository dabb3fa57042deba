//! `kyc service`: what a bank or an exchange runs: registration sessions with their
//! QR codes, and verification of the submissions wallets send back.

use std::{path::PathBuf, time::Duration};

use anyhow::{anyhow, bail, Context};
use clap::Subcommand;
use kyc_verifier::{
    describe_refused,
    inspect::read_submission_file,
    pretty_json_array, pretty_json_element,
    qr::{self, QrFormat, SessionCode},
    AnyStore, Batch, Policy, SessionRequest, Verifier, DEFAULT_BATCH_LIMIT,
};

use crate::{opts::RegistryArgs, output::print_json};

mod invite;
mod serve;
mod watch;

/// The service side: registration sessions, QR codes and verification.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(subcommand)]
    command: ServiceCommand,
}

#[derive(Debug, Subcommand)]
enum ServiceCommand {
    /// Registration sessions.
    Session(SessionArgs),
    /// Verify submissions: print the verdicts as JSON; exit 0 only when all are approved.
    Verify(VerifyArgs),
    /// Run the HTTP service: session API, QR page, submissions, withdrawals.
    Serve(serve::ServeArgs),
    /// Print the verified customers' changes of status on the registry as JSON lines.
    Watch(watch::WatchArgs),
    /// Invite a CSV list of customers: a link and QR code each, and a result CSV.
    Invite(invite::InviteArgs),
    /// List the invitations and where each stands, with the count of each status.
    Invitations(invite::InvitationsArgs),
}

impl Args {
    pub(crate) async fn run(self, json: bool) -> anyhow::Result<()> {
        match self.command {
            ServiceCommand::Session(args) => args.run(json).await,
            ServiceCommand::Verify(args) => args.run().await,
            ServiceCommand::Serve(args) => args.run().await,
            ServiceCommand::Watch(args) => args.run().await,
            ServiceCommand::Invite(args) => args.run(json).await,
            ServiceCommand::Invitations(args) => args.run(json).await,
        }
    }
}

/// Where the service keeps sessions and verdicts.
#[derive(Debug, Clone, clap::Args)]
#[command(next_help_heading = "Database")]
pub(crate) struct DatabaseArgs {
    /// `sqlite://PATH` (created if missing) or `postgres://USER:PASSWORD@HOST/DB`.
    #[arg(
        long,
        env = "KYC_DATABASE_URL",
        default_value = "sqlite://kyc-service.db",
        hide_env_values = true
    )]
    pub(crate) database: String,
    /// The key file that seals disclosed claims in the database (32 bytes, owner-only;
    /// created if missing). Every replica sharing a database needs the same file.
    /// [default: the database file with `.key` appended; `kyc-service.key` for PostgreSQL]
    #[arg(long, env = "KYC_DATABASE_KEY_FILE", value_name = "FILE")]
    pub(crate) database_key: Option<PathBuf>,
}

impl DatabaseArgs {
    /// Opens and migrates the database, its claims sealed under its key file.
    pub(crate) async fn connect(&self) -> anyhow::Result<AnyStore> {
        let url = kyc_verifier::store::redact_url(&self.database);
        let key = kyc_verifier::store::database_key(&self.database, self.database_key.as_deref())
            .with_context(|| format!("cannot open the database {url}"))?;
        AnyStore::connect(&self.database, key)
            .await
            .with_context(|| format!("cannot open the database {url}"))
    }
}

/// How many reads the node takes at once.
#[derive(Debug, Clone, clap::Args)]
#[command(next_help_heading = "Chain reads")]
pub(crate) struct BatchArgs {
    /// The most reads in one request to the node: reads in one eth_call, calls in one
    /// JSON-RPC batch. Lower it to a hosted node's batch limit.
    #[arg(
        long,
        env = "KYC_RPC_BATCH_LIMIT",
        default_value_t = DEFAULT_BATCH_LIMIT as u32,
        value_name = "N",
        value_parser = clap::value_parser!(u32).range(1..)
    )]
    rpc_batch_limit: u32,
}

impl BatchArgs {
    /// `verifier` with this batch limit.
    pub(crate) fn apply(&self, verifier: Verifier<AnyStore>) -> Verifier<AnyStore> {
        verifier.with_batch_limit(self.rpc_batch_limit as usize)
    }
}

/// The registry and the database a verifier works on.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct VerifierArgs {
    #[command(flatten)]
    registry: RegistryArgs,

    #[command(flatten)]
    database: DatabaseArgs,
}

impl VerifierArgs {
    /// A verifier over the registry and the database these options name.
    pub(crate) async fn connect(&self) -> anyhow::Result<Verifier<AnyStore>> {
        let store = self.database.connect().await?;
        let rpc_url = &self.registry.rpc.rpc_url;
        Verifier::connect(rpc_url, self.registry.registry, store)
            .await
            .with_context(|| format!("cannot use the registry through {rpc_url}"))
    }
}

#[derive(Debug, clap::Args)]
struct SessionArgs {
    #[command(subcommand)]
    command: SessionCommand,
}

#[derive(Debug, Subcommand)]
enum SessionCommand {
    /// Open a registration session and print its URI or QR code.
    New(SessionNewArgs),
}

impl SessionArgs {
    async fn run(self, json: bool) -> anyhow::Result<()> {
        match self.command {
            SessionCommand::New(args) => args.run(json).await,
        }
    }
}

/// Who opens sessions, as their codes name it.
#[derive(Debug, clap::Args)]
struct OriginArgs {
    /// The service's origin, `https://host[:port]`, as the wallet shows it.
    #[arg(long, value_name = "ORIGIN")]
    service: String,

    /// Where wallets send submissions, on the service's origin
    /// [default: ORIGIN/v1/sessions/ID/submission].
    #[arg(long, value_name = "URL")]
    callback: Option<String>,

    /// The name the wallet shows [default: the origin's host].
    #[arg(long)]
    name: Option<String>,
}

impl OriginArgs {
    /// A session of this service asking for `fields`, open for `ttl`.
    fn request(&self, fields: &[String], ttl: Duration) -> SessionRequest {
        SessionRequest {
            service: self.service.clone(),
            name: self.name.clone(),
            callback: self.callback.clone(),
            fields: fields.to_vec(),
            ttl,
        }
    }
}

/// Open a registration session: store it, print its registration URI, draw its QR code.
#[derive(Debug, clap::Args)]
struct SessionNewArgs {
    #[command(flatten)]
    origin: OriginArgs,

    /// The claim keys asked for, comma-separated.
    #[arg(long, value_name = "KEY,..", value_delimiter = ',', required = true)]
    fields: Vec<String>,

    /// How long the code stays valid, such as 10m or 1h.
    #[arg(long, default_value = "10m", value_parser = kyc_core::time::parse_duration)]
    ttl: Duration,

    /// Draw the QR code: terminal (Unicode blocks), svg or png.
    #[arg(long, value_name = "FORMAT")]
    qr: Option<QrFormat>,

    /// Write the QR code to this file rather than standard output.
    #[arg(long, value_name = "FILE", requires = "qr")]
    out: Option<PathBuf>,

    #[command(flatten)]
    verifier: VerifierArgs,
}

impl SessionNewArgs {
    async fn run(self, json: bool) -> anyhow::Result<()> {
        if self.out.is_none() {
            match self.qr {
                Some(QrFormat::Png) => bail!("--qr png needs --out FILE"),
                Some(_) if json => bail!("--qr with --json needs --out FILE"),
                _ => {}
            }
        }
        let request = self.origin.request(&self.fields, self.ttl);
        let verifier = self.verifier.connect().await?;
        let session = verifier.open_session(request).await?;
        let mut code = SessionCode::new(&session);
        let drawing = match (self.qr, &self.out) {
            (Some(format), Some(path)) => code.write_qr(format, path).map(|()| None)?,
            (Some(format), None) => Some(qr::render(&code.uri, format)?),
            (None, _) => None,
        };
        if json {
            return print_json(&code);
        }
        println!("{code}");
        if let Some(drawing) = drawing {
            println!("{}", String::from_utf8_lossy(&drawing));
        }
        Ok(())
    }
}

/// Verify submissions against the chain and the sessions in the database.
///
/// Prints the verdict as JSON (an array for several files) and exits 0 only when every
/// submission is approved. An answer uses up its session. A chain outage is an error,
/// not a verdict, and uses up nothing.
#[derive(Debug, clap::Args)]
struct VerifyArgs {
    /// Submission files, verified together.
    #[arg(value_name = "SUBMISSION", required = true)]
    submissions: Vec<PathBuf>,

    /// The service policy (TOML): trusted certifiers, required evidence and fields,
    /// maximum attestation age, confirmations [default: any current certifier, nothing more].
    #[arg(long, value_name = "FILE")]
    policy: Option<PathBuf>,

    #[command(flatten)]
    verifier: VerifierArgs,

    #[command(flatten)]
    batch: BatchArgs,
}

impl VerifyArgs {
    async fn run(self) -> anyhow::Result<()> {
        let policy = Policy::load_or_default(self.policy.as_deref())?;
        let paths = self.submissions.clone(); // read and inspected while connecting
        let reading = tokio::task::spawn_blocking(move || {
            Batch::load(&paths, |path: &PathBuf| {
                read_submission_file(path)
                    .with_context(|| format!("cannot read {}", path.display()))
            })
        });
        let verifier = self.batch.apply(self.verifier.connect().await?);
        // Printed while the verdicts are committed.
        let (verdicts, printed): (Vec<_>, Vec<_>) = verifier
            .verify_batch_rendered(reading.await??, &policy, pretty_json_element)
            .await?
            .into_iter()
            .unzip();
        let output = match verdicts.as_slice() {
            [verdict] => serde_json::to_string_pretty(verdict)?,
            _ => pretty_json_array(printed)?,
        };
        println!("{output}");
        let paths: Vec<_> = self.submissions.iter().map(|path| path.display()).collect();
        describe_refused(&paths, &verdicts).map_or(Ok(()), |refused| Err(anyhow!(refused)))
    }
}
