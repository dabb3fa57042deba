//! `kyc service serve`: the HTTP service of `kyc-service`.

use std::{io::IsTerminal, net::SocketAddr, path::PathBuf, time::Duration};

use anyhow::{bail, Context};
use kyc_service::{
    shutdown_signal, ApiToken, ClientIp, RateLimit, ReadTimeouts, Service, ServiceConfig,
    WebhookConfig, WebhookSecret,
};
use kyc_verifier::Policy;
use tokio::net::TcpListener;

use super::{BatchArgs, VerifierArgs};
use crate::opts::read_first_line;

/// The environment variable that holds the backend's bearer token when no file is given.
const TOKEN_ENV: &str = "KYC_SERVICE_TOKEN";

/// Run the HTTP service: the backend's session API (bearer token), the customer's QR
/// page with its live status, and the routes wallets post submissions and consent
/// withdrawals to. Logs go to standard error; Ctrl-C or SIGTERM stops it gracefully.
#[derive(Debug, clap::Args)]
pub(super) struct ServeArgs {
    /// The address to listen on.
    #[arg(
        long,
        env = "KYC_LISTEN",
        default_value = "127.0.0.1:8080",
        value_name = "ADDR"
    )]
    listen: SocketAddr,

    /// The service's public origin, `https://host[:port]`: QR codes, callbacks and page
    /// links use it.
    #[arg(long, env = "KYC_SERVICE_ORIGIN", value_name = "ORIGIN")]
    service: String,

    /// The name wallets and the page show [default: the origin's host].
    #[arg(long)]
    name: Option<String>,

    /// The service policy (TOML): trusted certifiers, required evidence and fields,
    /// maximum attestation age, confirmations.
    #[arg(long, value_name = "FILE")]
    policy: PathBuf,

    /// A file whose first line is the backend's bearer token (at least 16 bytes)
    /// [default: the KYC_SERVICE_TOKEN environment variable].
    #[arg(long, value_name = "FILE")]
    token_file: Option<PathBuf>,

    /// How long disclosed personal data is kept after the verdict, such as 30d or 12h.
    #[arg(long, default_value = "30d", value_parser = kyc_core::time::parse_duration)]
    retention: Duration,

    /// Count clients by the last X-Forwarded-For address for the rate limit, when a
    /// reverse proxy in front of the service sets it.
    #[arg(long)]
    behind_proxy: bool,

    /// How many requests a client may make at once to the routes wallets and customers
    /// call (submissions, withdrawals, the page); then one more each --rate-limit-every.
    #[arg(long, default_value_t = RateLimit::default().burst, value_name = "N")]
    rate_limit_burst: u32,

    /// How long a client over its burst waits for one more request, such as 1s or 100ms.
    #[arg(long, default_value = "1s", value_parser = kyc_core::time::parse_duration)]
    rate_limit_every: Duration,

    /// Post every event (session verdicts, customers' status changes) to this URL as
    /// a signed webhook (Standard Webhooks), retried until accepted.
    #[arg(long, value_name = "URL", requires = "webhook_secret_file")]
    webhook_url: Option<String>,

    /// A file whose first line is the webhook signing secret, `whsec_<base64>`.
    #[arg(long, value_name = "FILE", requires = "webhook_url")]
    webhook_secret_file: Option<PathBuf>,

    /// How long one webhook attempt may take, such as 10s.
    #[arg(long, default_value = "10s", value_parser = kyc_core::time::parse_duration)]
    webhook_timeout: Duration,

    /// How long a client may take to send a request's headers, such as 10s; then it is
    /// cut off (slow clients hold no connection).
    #[arg(long, default_value = "10s", value_parser = kyc_core::time::parse_duration)]
    header_read_timeout: Duration,

    /// How long a client may take to send a request's body once its headers are in.
    #[arg(long, default_value = "30s", value_parser = kyc_core::time::parse_duration)]
    body_read_timeout: Duration,

    #[command(flatten)]
    verifier: VerifierArgs,

    #[command(flatten)]
    batch: BatchArgs,
}

impl ServeArgs {
    pub(super) async fn run(self) -> anyhow::Result<()> {
        let token = self.token()?;
        let webhook = self.webhook()?;
        let policy = Policy::load(&self.policy)?;
        let verifier = self.batch.apply(self.verifier.connect().await?);
        let mut config = ServiceConfig::new(self.service, token, policy);
        config.name = self.name;
        config.retention = self.retention;
        config.read_timeouts = ReadTimeouts {
            header: self.header_read_timeout,
            body: self.body_read_timeout,
        };
        config.rate_limit = RateLimit {
            burst: self.rate_limit_burst,
            refill_every: self.rate_limit_every,
        };
        if self.behind_proxy {
            config.client_ip = ClientIp::LastForwardedFor;
        }
        config.webhook = webhook;

        let service = Service::new(verifier, config)?;
        let listener = TcpListener::bind(self.listen)
            .await
            .with_context(|| format!("cannot listen on {}", self.listen))?;
        tracing_subscriber::fmt()
            .with_writer(std::io::stderr)
            .with_ansi(std::io::stderr().is_terminal())
            .with_target(false)
            .init();
        service.serve(listener, shutdown_signal()).await?;
        Ok(())
    }

    /// The webhook settings, when `--webhook-url` is given.
    fn webhook(&self) -> anyhow::Result<Option<WebhookConfig>> {
        let (Some(url), Some(path)) = (&self.webhook_url, &self.webhook_secret_file) else {
            return Ok(None);
        };
        let secret = WebhookSecret::parse(&read_first_line(path, "the webhook secret file")?)?;
        let mut webhook = WebhookConfig::new(url.clone(), secret);
        webhook.timeout = self.webhook_timeout;
        Ok(Some(webhook))
    }

    /// The token from `--token-file`, else from the environment.
    fn token(&self) -> anyhow::Result<ApiToken> {
        let text = match &self.token_file {
            Some(path) => read_first_line(path, "the token file")?.trim().to_owned(),
            None => match std::env::var(TOKEN_ENV) {
                Ok(token) => token.trim().to_owned(),
                Err(_) => bail!("no api token: give --token-file FILE or set {TOKEN_ENV}"),
            },
        };
        Ok(ApiToken::new(&text)?)
    }
}
