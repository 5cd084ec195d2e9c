//! `dklik`: the one binary. `serve` runs the web server, `demo` a demo on a fresh SQLite file,
//! `import` reads ROME releases and offer files, `migrate` prepares a database.

/// A line of a running server's messages. The server goes on when nobody reads its output any
/// more (a pipe closed by the reader), where `println!` would stop it.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

mod bench;
mod bench_matching;
mod demo;
mod poll;
mod replay;

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};
use dklik_app::offers::{import_offers, ImportError};
use dklik_app::Store;
use std::path::PathBuf;
use std::sync::Arc;

const DEFAULT_DB: &str = "sqlite://data/dklik.db";

#[derive(Parser)]
#[command(
    name = "dklik",
    version,
    about = "DKLIK : offres d'emploi, écrans de bus et mises en relation"
)]
struct Cli {
    /// How the server writes its log to standard error: `text` (one line per event, for a
    /// person) or `json` (one JSON object per line, for a log collector).
    #[arg(long, global = true, env = "DKLIK_LOG_FORMAT", default_value = "text")]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

/// Logs go to standard error, at info level; they never hold personal data (request lines
/// carry the route pattern, errors go through `privacy::redact`).
fn init_logs(format: LogFormat) {
    let builder = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_max_level(tracing::Level::INFO)
        .with_ansi(false)
        .with_target(false);
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
}

// Parsed once at start: the size of the largest command (serve, with all its options) is no cost.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand)]
enum Command {
    /// Run the web server.
    Serve {
        /// Database URL: sqlite://FILE or postgres://USER@HOST:PORT/DB.
        #[arg(long, env = "DKLIK_DB", default_value = DEFAULT_DB)]
        db: String,
        #[arg(long, env = "DKLIK_LISTEN", default_value = "127.0.0.1:8080")]
        listen: String,
        /// The site's public address, for absolute links (defaults to http://LISTEN).
        #[arg(long, env = "DKLIK_PUBLIC_URL")]
        public_url: Option<String>,
        #[command(flatten)]
        mail: MailArgs,
        #[command(flatten)]
        screens: ScreenArgs,
        /// Map tiles for the public agenda's map, a URL template with {z}, {x} and {y} (the
        /// visitor's browser fetches them). Without it, the agenda draws a plain plan.
        #[arg(long, env = "DKLIK_MAP_TILES")]
        map_tiles: Option<String>,
        /// Months without activity after which a person is anonymised.
        #[arg(long, env = "DKLIK_RETENTION_MONTHS", default_value_t = dklik_app::privacy::DEFAULT_RETENTION_MONTHS)]
        retention_months: u32,
        #[command(flatten)]
        security: SecurityArgs,
        #[command(flatten)]
        search: SearchArgs,
        /// A geocoder speaking the API of the national address base's geocoder (addok:
        /// `GET URL/search/?q=…`), to place employers' sites from their address. Without it,
        /// sites are placed by typing their coordinates.
        #[arg(long, env = "DKLIK_GEOCODER")]
        geocoder: Option<String>,
        #[command(flatten)]
        france_travail: FranceTravailArgs,
    },
    /// Create an administrator account (the password is read from DKLIK_ADMIN_PASSWORD or the
    /// first line of standard input).
    CreateAdmin {
        #[arg(long)]
        email: String,
        #[arg(long, default_value = "Administrateur")]
        name: String,
        #[arg(long, env = "DKLIK_DB", default_value = DEFAULT_DB)]
        db: String,
    },
    /// Drive simulated buses along a GTFS timetable and send their positions to a server.
    Replay {
        /// GTFS feed (folder or zip).
        gtfs: PathBuf,
        /// The day to simulate, AAAA-MM-JJ (today by default).
        #[arg(long)]
        date: Option<String>,
        /// Start time of day, HH:MM (now by default).
        #[arg(long)]
        from: Option<String>,
        /// Simulated seconds per real second (above 1, start the server with a higher
        /// --max-speed-kmh, 150 × this speed, or its jump filter refuses the buses).
        #[arg(long, default_value_t = 1.0)]
        speed: f64,
        /// Stop after this many simulated minutes.
        #[arg(long = "for")]
        minutes: Option<u32>,
        /// Send one round and stop.
        #[arg(long)]
        once: bool,
        /// Send JSON instead of GTFS-realtime.
        #[arg(long)]
        json: bool,
        /// The server, http://HOST:PORT.
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        to: String,
        /// A feed sender's API token.
        #[arg(long, env = "DKLIK_FEED_TOKEN")]
        token: String,
    },
    /// Benchmarks (results are written by hand in BENCHMARKS.md).
    Bench {
        #[command(subcommand)]
        what: BenchWhat,
    },
    /// API tokens for bus screens and vehicle-position feeds.
    Token {
        #[command(subcommand)]
        what: TokenWhat,
    },
    /// Start a fresh demo (SQLite under ./data/) with fictional employers of the Dunkerque area.
    Demo {
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: String,
        /// Fill the database and stop, without serving.
        #[arg(long)]
        no_serve: bool,
        #[arg(long, default_value = "sqlite://data/demo.db")]
        db: String,
        /// A geocoder for the employers' sites, as `serve --geocoder`.
        #[arg(long, env = "DKLIK_GEOCODER")]
        geocoder: Option<String>,
        /// The programme's number for texts, shown on slides and posters, as `serve
        /// --sms-number` (the demo receives no text: no provider is configured).
        #[arg(long)]
        sms_number: Option<String>,
    },
    /// Import reference data or offers.
    Import {
        #[command(subcommand)]
        what: ImportWhat,
    },
    /// Apply the database migrations and stop.
    Migrate {
        #[arg(long, env = "DKLIK_DB", default_value = DEFAULT_DB)]
        db: String,
    },
    /// Write the impact tables of a period as CSV files (the same as the dashboard's exports):
    /// the funnel by each breakdown, reach and OrientaKlik; with --key, the pseudonymised
    /// person table too. People counts from 1 to 4 are hidden.
    Report {
        #[arg(long, env = "DKLIK_DB", default_value = DEFAULT_DB)]
        db: String,
        /// First day, YYYY-MM-DD (Europe/Paris).
        #[arg(long)]
        from: String,
        /// Last day, inclusive.
        #[arg(long)]
        to: String,
        /// Only people whose first contact came through this channel (ecran, affiche, site…).
        #[arg(long, default_value = "")]
        channel: String,
        /// Folder to write the files to (created if missing).
        #[arg(long, default_value = "rapport")]
        out: std::path::PathBuf,
        /// Export key of the person table (12 characters at least); without it, no person table.
        #[arg(long, env = "DKLIK_EXPORT_KEY")]
        key: Option<String>,
    },
    /// Ask "toujours d'actualité ?" about the published offers due and pause those left without
    /// an answer for 7 days. The server does it once a day; this runs it now, or as if some
    /// days later (to try it). The e-mails go through the outbox, sent by the server.
    CheckOffers {
        #[arg(long, env = "DKLIK_DB", default_value = DEFAULT_DB)]
        db: String,
        /// The site's public address, for the links in the e-mails.
        #[arg(long, env = "DKLIK_PUBLIC_URL")]
        public_url: String,
        /// Run as if this many days had passed.
        #[arg(long, default_value_t = 0)]
        in_days: u32,
    },
    /// Print the latest call-back requests as JSON lines (until the advisors' inbox exists).
    Interests {
        #[arg(long, env = "DKLIK_DB", default_value = DEFAULT_DB)]
        db: String,
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
}

/// France Travail's offers, fetched every hour when the application's credentials are given.
#[derive(clap::Args, Clone, Default)]
struct FranceTravailArgs {
    /// The France Travail application's client id (francetravail.io); with the secret, the
    /// offers around the communes below are fetched every hour.
    #[arg(long, env = "DKLIK_FT_CLIENT_ID")]
    france_travail_client_id: Option<String>,
    /// The application's secret.
    #[arg(long, env = "DKLIK_FT_CLIENT_SECRET", hide_env_values = true)]
    france_travail_secret: Option<String>,
    /// INSEE codes of the communes searched around, comma-separated (default: Dunkerque,
    /// Grande-Synthe, Coudekerque-Branche, Loon-Plage, Gravelines).
    #[arg(
        long,
        env = "DKLIK_FT_COMMUNES",
        value_delimiter = ',',
        default_value = "59183,59271,59155,59359,59273"
    )]
    france_travail_communes: Vec<String>,
    /// Kilometres around each commune.
    #[arg(long, env = "DKLIK_FT_DISTANCE", default_value_t = 10, value_parser = clap::value_parser!(u32).range(0..=100))]
    france_travail_distance: u32,
    /// Minutes between two fetches.
    #[arg(long, env = "DKLIK_FT_EVERY_MINUTES", default_value_t = 60, value_parser = clap::value_parser!(u64).range(5..=1440))]
    france_travail_every_minutes: u64,
    /// The offers API's address (France Travail's by default).
    #[arg(long, env = "DKLIK_FT_API_URL")]
    france_travail_api_url: Option<String>,
    /// The token address (France Travail's by default).
    #[arg(long, env = "DKLIK_FT_TOKEN_URL")]
    france_travail_token_url: Option<String>,
}

impl FranceTravailArgs {
    /// The synchronisation's settings, when the credentials are given; an error when only
    /// one of them is, or a commune is not an INSEE code.
    fn config(&self) -> Result<Option<dklik_app::france_travail::FtConfig>> {
        let (id, secret) = match (&self.france_travail_client_id, &self.france_travail_secret) {
            (None, None) => return Ok(None),
            (Some(i), Some(s)) if !i.trim().is_empty() && !s.trim().is_empty() => (i, s),
            _ => bail!(
                "France Travail : donnez l'identifiant et le secret de l'application ensemble (--france-travail-client-id et --france-travail-secret)"
            ),
        };
        let communes: Vec<String> = self
            .france_travail_communes
            .iter()
            .map(|c| c.trim().to_string())
            .filter(|c| !c.is_empty())
            .collect();
        for c in &communes {
            dklik_domain::InseeCode::parse(c)
                .map_err(|e| anyhow::anyhow!("France Travail, commune « {c} » : {e}"))?;
        }
        if communes.is_empty() {
            bail!("France Travail : donnez au moins une commune (code INSEE)");
        }
        let mut cfg = dklik_app::france_travail::FtConfig::new(id.trim(), secret.trim(), communes);
        cfg.distance_km = self.france_travail_distance;
        if let Some(u) = &self.france_travail_api_url {
            cfg.api_url = u.clone();
        }
        if let Some(u) = &self.france_travail_token_url {
            cfg.token_url = u.clone();
        }
        Ok(Some(cfg))
    }
}

/// How the public offer search answers.
#[derive(clap::Args, Clone)]
struct SearchArgs {
    /// `memory`: an index of the published offers kept in memory, rebuilt within seconds of a
    /// change on any server; `sql`: every search asks the database (slower; for comparison).
    #[arg(long, env = "DKLIK_SEARCH", default_value = "memory", value_parser = ["memory", "sql"])]
    search: String,
    /// Seconds a rendered offers-list page is kept for the same address (0: never).
    #[arg(long, env = "DKLIK_PAGE_CACHE_SECONDS", default_value_t = 5, value_parser = clap::value_parser!(u64).range(0..=60))]
    page_cache_seconds: u64,
}

impl Default for SearchArgs {
    fn default() -> Self {
        Self {
            search: "memory".into(),
            page_cache_seconds: 5,
        }
    }
}

/// Where vehicle positions come from, and how the screens behave.
#[derive(clap::Args, Clone)]
struct ScreenArgs {
    /// ITxPT GNSSLocation multicast group to listen to, GROUP:PORT (on board a vehicle).
    #[arg(long, env = "DKLIK_ITXPT_GROUP", requires = "itxpt_vehicle")]
    itxpt_group: Option<String>,
    /// The vehicle this server runs in, for the ITxPT positions (they name no vehicle).
    #[arg(long, env = "DKLIK_ITXPT_VEHICLE")]
    itxpt_vehicle: Option<String>,
    /// A GTFS-realtime VehiclePositions URL (http or https) to fetch at an interval.
    #[arg(long, env = "DKLIK_GTFS_RT_URL")]
    gtfs_rt_url: Option<String>,
    /// The largest body of an operator's feed posted to /api/v1/positions… and
    /// /api/v1/impressions, in bytes (16 MiB by default).
    #[arg(long, env = "DKLIK_MAX_FEED_BYTES", default_value_t = dklik_web::DEFAULT_MAX_FEED_BYTES as u64, value_parser = clap::value_parser!(u64).range(65_536..=268_435_456))]
    max_feed_bytes: u64,
    /// Seconds between two fetches of --gtfs-rt-url.
    #[arg(long, env = "DKLIK_GTFS_RT_EVERY", default_value_t = 15, value_parser = clap::value_parser!(u64).range(1..=3600))]
    gtfs_rt_every: u64,
    /// A SIRI Vehicle Monitoring service (http or https) to ask at an interval.
    #[arg(long, env = "DKLIK_SIRI_VM_URL")]
    siri_vm_url: Option<String>,
    /// How to ask it: post (a GetVehicleMonitoring ServiceRequest, SIRI XML) or get (a SIRI
    /// Lite delivery, JSON or XML).
    #[arg(long, env = "DKLIK_SIRI_VM_METHOD", default_value = "post", value_parser = ["post", "get"])]
    siri_vm_method: String,
    /// The RequestorRef of the ServiceRequest, as the operator registered DKLIK.
    #[arg(long, env = "DKLIK_SIRI_REQUESTOR_REF", default_value = "dklik")]
    siri_requestor_ref: String,
    /// The VehicleMonitoringRef of the ServiceRequest, when the service wants one.
    #[arg(long, env = "DKLIK_SIRI_VM_REF")]
    siri_vm_ref: Option<String>,
    /// Seconds between two requests to --siri-vm-url.
    #[arg(long, env = "DKLIK_SIRI_VM_EVERY", default_value_t = 15, value_parser = clap::value_parser!(u64).range(1..=3600))]
    siri_vm_every: u64,
    /// Minutes an offer slide stays on a screen without news from the server (then the
    /// general card, which needs no server).
    #[arg(long, env = "DKLIK_OFFER_TTL_MINUTES", default_value_t = 120, value_parser = clap::value_parser!(i64).range(1..=1440))]
    offer_ttl_minutes: i64,
    /// Seconds each slide stays on screen.
    #[arg(long, env = "DKLIK_SLIDE_SECONDS", default_value_t = dklik_app::screens::DEFAULT_SLIDE_SECONDS, value_parser = clap::value_parser!(i64).range(3..=120))]
    slide_seconds: i64,
    /// Walking distance between a stop and a hiring site, in metres.
    #[arg(long, env = "DKLIK_WALK_RADIUS", default_value_t = 500, value_parser = clap::value_parser!(u32).range(50..=3000))]
    walk_radius: u32,
    /// A vehicle faster than this between two positions is a GPS jump (km/h). Raise it when a
    /// replay runs faster than real time: 150 × its --speed.
    #[arg(long, env = "DKLIK_MAX_SPEED_KMH", default_value_t = 144, value_parser = clap::value_parser!(u32).range(30..=100_000))]
    max_speed_kmh: u32,
}

impl Default for ScreenArgs {
    fn default() -> Self {
        Self {
            itxpt_group: None,
            itxpt_vehicle: None,
            gtfs_rt_url: None,
            gtfs_rt_every: 15,
            siri_vm_url: None,
            siri_vm_method: "post".into(),
            siri_requestor_ref: "dklik".into(),
            siri_vm_ref: None,
            siri_vm_every: 15,
            offer_ttl_minutes: 120,
            max_feed_bytes: dklik_web::DEFAULT_MAX_FEED_BYTES as u64,
            slide_seconds: dklik_app::screens::DEFAULT_SLIDE_SECONDS,
            walk_radius: 500,
            max_speed_kmh: 144,
        }
    }
}

impl ScreenArgs {
    fn engine_config(&self) -> dklik_screens::EngineConfig {
        dklik_screens::EngineConfig {
            walk_radius_m: f64::from(self.walk_radius),
            max_speed_mps: f64::from(self.max_speed_kmh) / 3.6,
            ..Default::default()
        }
    }
}

#[derive(clap::Args, Default)]
struct SecurityArgs {
    /// The file holding the server's secret key (people's codes are kept as HMACs under it);
    /// made at the first start. Several servers sharing a database share this file, or set
    /// DKLIK_SECRET (a phrase of 32 characters or more) instead.
    #[arg(long, env = "DKLIK_SECRET_FILE", default_value = "data/secret.key")]
    secret_file: PathBuf,
    /// A reverse proxy (address or block, e.g. 127.0.0.1 or 10.0.0.0/8) whose
    /// X-Forwarded-For / Forwarded headers give the visitor's address; repeat or separate
    /// with commas. From any other peer those headers are ignored.
    #[arg(
        long = "trusted-proxy",
        env = "DKLIK_TRUSTED_PROXIES",
        value_delimiter = ','
    )]
    trusted_proxies: Vec<String>,
    /// The e-mail address where vulnerabilities are reported (privacy page, security.txt).
    #[arg(
        long,
        env = "DKLIK_SECURITY_CONTACT",
        default_value = "securite@dklik.invalid"
    )]
    security_contact: String,
}

impl SecurityArgs {
    fn key(&self) -> Result<dklik_app::auth::ServerKey> {
        match std::env::var("DKLIK_SECRET") {
            Ok(phrase) => dklik_app::auth::ServerKey::from_phrase(&phrase)
                .map_err(|e| anyhow::anyhow!("DKLIK_SECRET : {e}")),
            Err(_) => dklik_app::auth::ServerKey::from_file(&self.secret_file)
                .map_err(|e| anyhow::anyhow!("{e}")),
        }
    }

    fn proxies(&self) -> Result<Vec<dklik_web::Cidr>> {
        self.trusted_proxies
            .iter()
            .filter(|p| !p.trim().is_empty())
            .map(|p| {
                dklik_web::Cidr::parse(p).map_err(|e| anyhow::anyhow!("--trusted-proxy : {e}"))
            })
            .collect()
    }
}

#[derive(clap::Args)]
struct MailArgs {
    /// SMTP relay (host:port) for outgoing email. Without it, email is written to --mail-dir.
    #[arg(long, env = "DKLIK_SMTP")]
    smtp: Option<String>,
    #[arg(long, env = "DKLIK_MAIL_FROM", default_value = "dklik@localhost")]
    mail_from: String,
    /// Folder for outgoing email when no SMTP relay is set.
    #[arg(long, env = "DKLIK_MAIL_DIR", default_value = "data/mails")]
    mail_dir: PathBuf,
    /// Folder where text messages are written (plug an operator's gateway on it).
    #[arg(long, env = "DKLIK_SMS_DIR", default_value = "data/sms")]
    sms_dir: PathBuf,
    /// Journal where call-back requests wait while the database cannot take them (stopped,
    /// restarting, held by an import); written to the database, once, when it answers again.
    #[arg(long, env = "DKLIK_CALLBACK_QUEUE", default_value = dklik_web::DEFAULT_CALLBACK_QUEUE)]
    callback_queue: PathBuf,
    #[command(flatten)]
    sms: SmsArgs,
}

/// Text messages through providers (without any, they are written to --sms-dir).
#[derive(clap::Args, Clone)]
struct SmsArgs {
    /// SMS providers in order of preference, separated by commas: `brevo`, `twilio`; the next
    /// one takes a message when one fails or does not answer in time.
    #[arg(long, env = "DKLIK_SMS_PROVIDERS", value_delimiter = ',')]
    sms_providers: Vec<String>,
    /// The sender name shown on the phone (3 to 11 letters or digits).
    #[arg(long, env = "DKLIK_SMS_SENDER", default_value = "DKLIK")]
    sms_sender: String,
    #[arg(long, env = "DKLIK_BREVO_API_KEY", hide_env_values = true)]
    brevo_api_key: Option<String>,
    #[arg(long, env = "DKLIK_BREVO_URL", default_value = "https://api.brevo.com")]
    brevo_url: String,
    #[arg(long, env = "DKLIK_TWILIO_ACCOUNT_SID")]
    twilio_account_sid: Option<String>,
    #[arg(long, env = "DKLIK_TWILIO_AUTH_TOKEN", hide_env_values = true)]
    twilio_auth_token: Option<String>,
    #[arg(
        long,
        env = "DKLIK_TWILIO_URL",
        default_value = "https://api.twilio.com"
    )]
    twilio_url: String,
    /// The price of one message part per provider, in euros, recorded with each message
    /// (`brevo=0.045,twilio=0.08`).
    #[arg(long, env = "DKLIK_SMS_PRICES", value_delimiter = ',')]
    sms_prices: Vec<String>,
    /// The secret the providers' delivery receipts carry: give them
    /// PUBLIC_URL/sms/accuses/PROVIDER?cle=SECRET (set on each message sent).
    #[arg(long, env = "DKLIK_SMS_RECEIPTS_SECRET", hide_env_values = true)]
    sms_receipts_secret: Option<String>,
    /// The programme's number people text offer codes to (a mobile or a 5-digit short number);
    /// bus slides and posters then say "Pas de smartphone ? Envoyez CODE au …". Give the
    /// providers PUBLIC_URL/sms/recus/PROVIDER?cle=SECRET for the texts it receives.
    #[arg(long, env = "DKLIK_SMS_NUMBER")]
    sms_number: Option<String>,
    /// Seconds to wait for a provider's answer.
    #[arg(long, env = "DKLIK_SMS_TIMEOUT_SECONDS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=120))]
    sms_timeout_seconds: u64,
}

impl Default for SmsArgs {
    fn default() -> Self {
        Self {
            sms_providers: Vec::new(),
            sms_sender: "DKLIK".into(),
            brevo_api_key: None,
            brevo_url: "https://api.brevo.com".into(),
            twilio_account_sid: None,
            twilio_auth_token: None,
            twilio_url: "https://api.twilio.com".into(),
            sms_prices: Vec::new(),
            sms_receipts_secret: None,
            sms_number: None,
            sms_timeout_seconds: 10,
        }
    }
}

impl SmsArgs {
    /// The programme's number as shown, checked.
    fn number(&self) -> Result<Option<String>> {
        self.sms_number
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(|n| {
                dklik_domain::sms::display_number(n)
                    .map_err(|e| anyhow::anyhow!("--sms-number : {e}"))
            })
            .transpose()
    }

    /// The providers as configured (none: texts go to the folder), each setting checked.
    fn providers(&self, base_url: &str) -> Result<dklik_app::sms::Providers> {
        use dklik_app::sms::{Brevo, ProviderSettings, Twilio};
        let sender = dklik_domain::sms::sender_name(&self.sms_sender)
            .map_err(|e| anyhow::anyhow!("--sms-sender : {e}"))?;
        if let Some(k) = &self.sms_receipts_secret {
            if k.len() < 16
                || !k
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            {
                anyhow::bail!("--sms-receipts-secret : 16 caractères au moins, lettres sans accent, chiffres, - et _ seulement");
            }
        }
        let mut prices = std::collections::HashMap::new();
        for p in &self.sms_prices {
            let (name, euros) = p.split_once('=').ok_or_else(|| {
                anyhow::anyhow!("--sms-prices : « {p} » devrait s'écrire fournisseur=prix, par exemple brevo=0.045")
            })?;
            let euros: f64 = euros
                .trim()
                .parse()
                .ok()
                .filter(|e: &f64| e.is_finite() && *e >= 0.0 && *e < 10.0)
                .ok_or_else(|| {
                    anyhow::anyhow!(
                        "--sms-prices : « {euros} » n'est pas un prix en euros (par exemple 0.045)"
                    )
                })?;
            prices.insert(
                name.trim().to_string(),
                (euros * 1_000_000.0).round() as i64,
            );
        }
        let settings = |name: &str, url: &str| -> Result<ProviderSettings> {
            if !(url.starts_with("https://") || url.starts_with("http://")) {
                anyhow::bail!("l'adresse de {name} doit commencer par https:// : « {url} »");
            }
            Ok(ProviderSettings {
                base_url: url.to_string(),
                sender: sender.clone(),
                receipts_url: self.sms_receipts_secret.as_ref().map(|k| {
                    format!(
                        "{}/sms/accuses/{name}?cle={k}",
                        base_url.trim_end_matches('/')
                    )
                }),
                part_price_micro_eur: prices.get(name).copied(),
                timeout: std::time::Duration::from_secs(self.sms_timeout_seconds),
            })
        };
        let mut list: Vec<Arc<dyn dklik_app::sms::SmsProvider>> = Vec::new();
        for name in self
            .sms_providers
            .iter()
            .map(|n| n.trim())
            .filter(|n| !n.is_empty())
        {
            match name {
                "brevo" => {
                    let key = self.brevo_api_key.as_deref().filter(|k| !k.is_empty()).ok_or_else(|| {
                        anyhow::anyhow!("Brevo est choisi pour les SMS mais sa clé manque (--brevo-api-key ou DKLIK_BREVO_API_KEY)")
                    })?;
                    list.push(Arc::new(Brevo::new(
                        settings("brevo", &self.brevo_url)?,
                        key,
                    )));
                }
                "twilio" => {
                    let (Some(sid), Some(token)) = (
                        self.twilio_account_sid.as_deref().filter(|s| !s.is_empty()),
                        self.twilio_auth_token.as_deref().filter(|s| !s.is_empty()),
                    ) else {
                        anyhow::bail!("Twilio est choisi pour les SMS mais son identifiant ou son jeton manque (--twilio-account-sid, --twilio-auth-token)");
                    };
                    list.push(Arc::new(Twilio::new(
                        settings("twilio", &self.twilio_url)?,
                        sid,
                        token,
                    )));
                }
                other => anyhow::bail!(
                    "--sms-providers : « {other} » n'est pas un fournisseur connu (brevo, twilio)"
                ),
            }
        }
        Ok(dklik_app::sms::Providers(list))
    }
}

#[derive(Subcommand)]
enum BenchWhat {
    /// From a position POST to the new slides at many connected screen pages (SSE, loopback).
    Screens {
        #[arg(long, default_value_t = 1000)]
        screens: usize,
        #[arg(long, default_value_t = 20)]
        rounds: usize,
    },
    /// Ranking people for a post and offers for a person, on people generated from ROME.
    Ranking {
        #[arg(long)]
        rome: PathBuf,
        #[arg(long, default_value_t = 100_000)]
        people: usize,
        #[arg(long, default_value_t = 50)]
        posts: usize,
        #[arg(long, default_value_t = 10_000)]
        offers: usize,
        /// Also time the same ranking written as SQL on this PostgreSQL database.
        #[arg(long)]
        postgres: Option<String>,
    },
    /// Impact figures on generated paths: every funnel, reach, OrientaKlik and the exports.
    Impact {
        #[arg(long, default_value_t = 100_000)]
        people: usize,
        /// Steps per person on average.
        #[arg(long, default_value_t = 10)]
        steps: usize,
    },
    /// Journeys on the demo network: one query, arrive-by over an hour, the reachability table.
    Journeys {
        #[arg(long, default_value_t = 2000)]
        queries: usize,
    },
    /// Ranking quality on three tasks drawn from the ROME job sheets (NDCG@10, MRR, Recall@20),
    /// beside cosine and idf-weighted cosine, and how proposals spread over posts.
    Matching {
        /// A ROME release folder (the official CSV files).
        #[arg(long)]
        rome: PathBuf,
        /// Profiles drawn for the tasks (a) and (c).
        #[arg(long, default_value_t = 300)]
        profiles: usize,
        /// Generated people for the spread of proposals.
        #[arg(long, default_value_t = 10_000)]
        people: usize,
        /// Open posts for the spread of proposals.
        #[arg(long, default_value_t = 300)]
        posts: usize,
    },
    /// Skills suggested from sentences, measured on a reference set (Recall@5, MRR).
    Suggest {
        /// A ROME release folder (the official CSV files).
        #[arg(long)]
        rome: PathBuf,
        /// The reference set: `phrase;codes` lines.
        #[arg(long, default_value = "fixtures/skills/phrases-or.csv")]
        gold: PathBuf,
        /// Print each sentence whose expected items are not in the first 5.
        #[arg(long)]
        misses: bool,
    },
    /// The public search index built from a database's published offers: reading them, the
    /// whole rebuild, and the server's memory with the index held.
    Index {
        #[arg(long, env = "DKLIK_DB", default_value = DEFAULT_DB)]
        db: String,
        #[arg(long, default_value_t = 3)]
        rounds: usize,
    },
    /// The staff's lists (people, employers, requests) at size: fills the database, then times
    /// the lists in memory beside SQL.
    Staff {
        #[arg(long, env = "DKLIK_DB", default_value = DEFAULT_DB)]
        db: String,
        /// People in the database at least (made when fewer): half with an advisor's record,
        /// half from call-back requests (two requests each).
        #[arg(long, default_value_t = 100_000)]
        people: usize,
        #[arg(long, default_value_t = 3)]
        rounds: usize,
        /// Only fill the database.
        #[arg(long)]
        fill_only: bool,
    },
    /// The time to take in one large GTFS-realtime feed (and the same vehicles in SIRI-VM).
    Feed {
        #[arg(long, default_value_t = 20_000)]
        vehicles: usize,
        /// The feed's size in bytes, reached with trip updates beside the vehicles.
        #[arg(long, default_value_t = 10_000_000)]
        bytes: usize,
        #[arg(long, default_value_t = 10)]
        rounds: usize,
    },
    /// Position updates through the trigger engine, beside a brute-force scan.
    Engine {
        #[arg(long, default_value_t = 10_000)]
        sites: usize,
        #[arg(long, default_value_t = 2_000)]
        vehicles: usize,
        #[arg(long, default_value_t = 2_000_000)]
        updates: usize,
        /// Also time PostGIS ST_DWithin on the same sites (a PostgreSQL URL with PostGIS).
        #[arg(long)]
        postgis: Option<String>,
        /// How many PostGIS queries.
        #[arg(long, default_value_t = 20_000)]
        postgis_queries: usize,
    },
}

#[derive(Subcommand)]
enum TokenWhat {
    /// Create a token; it is printed once.
    Create {
        #[arg(long)]
        name: String,
        /// screen or feed
        #[arg(long)]
        role: String,
        #[arg(long, env = "DKLIK_DB", default_value = DEFAULT_DB)]
        db: String,
    },
    /// Revoke a token by its number.
    Revoke {
        id: i64,
        #[arg(long, env = "DKLIK_DB", default_value = DEFAULT_DB)]
        db: String,
    },
    /// List the tokens (never their values).
    List {
        #[arg(long, env = "DKLIK_DB", default_value = DEFAULT_DB)]
        db: String,
    },
}

#[derive(Subcommand)]
enum ImportWhat {
    /// A GTFS static feed (folder or .zip); it replaces the feed in use.
    Gtfs {
        path: PathBuf,
        #[arg(long, env = "DKLIK_DB", default_value = DEFAULT_DB)]
        db: String,
    },
    /// A ROME 4.0 CSV export folder (France Travail).
    Rome {
        dir: PathBuf,
        #[arg(long, env = "DKLIK_DB", default_value = DEFAULT_DB)]
        db: String,
    },
    /// Offers: the DKLIK CSV template, or France Travail offer JSON.
    Offers {
        file: PathBuf,
        #[arg(long, env = "DKLIK_DB", default_value = DEFAULT_DB)]
        db: String,
        /// Mark the employers as fictional (demo and test data).
        #[arg(long)]
        fictional: bool,
    },
    /// The territory's places (communes, neighbourhoods) with a point each: a CSV
    /// `nom;commune;code_insee;qpv;latitude;longitude` (`territoire/lieux-dunkerque.csv`). A place
    /// already known (same name, same commune code) is updated.
    Places {
        file: PathBuf,
        #[arg(long, env = "DKLIK_DB", default_value = DEFAULT_DB)]
        db: String,
    },
}

/// Opens the store named by a URL and applies its migrations.
pub async fn open_store(url: &str) -> Result<Arc<dyn Store>> {
    let store: Arc<dyn Store> =
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Arc::new(
                dklik_store_sql::SqlStore::connect(url)
                    .await
                    .context("connexion à PostgreSQL impossible")?,
            )
        } else if url.starts_with("sqlite:") {
            Arc::new(
                dklik_store_sql::SqlStore::connect(url)
                    .await
                    .context("ouverture de la base SQLite impossible")?,
            )
        } else {
            bail!("adresse de base inconnue « {url} » : utilisez sqlite://FICHIER ou postgres://…");
        };
    store
        .migrate()
        .await
        .context("migration de la base impossible")?;
    Ok(store)
}

fn main() -> Result<()> {
    few_malloc_arenas();
    let cli = Cli::parse();
    init_logs(cli.log_format);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("démarrage du runtime impossible")?;
    rt.block_on(run(cli))
}

/// How many memory arenas glibc's allocator may keep (`MALLOC_ARENA_MAX`, unless set).
const MALLOC_ARENAS: &str = "2";

/// glibc gives threads that allocate at the same moment arenas of their own, up to eight per
/// core, and keeps in each what was freed there. Each rebuild of the offers' index ran on a
/// thread that came to its own arena: the server's memory rose after every import, from 162 to
/// about 270 MiB at 10,000 offers; with two arenas it starts at 89 MiB and stays near 140
/// (BENCHMARKS.md). glibc reads the setting when a process starts, so the binary starts itself
/// again, once, with it set (same process id, same arguments); if that cannot be done it goes
/// on as it is.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn few_malloc_arenas() {
    use std::os::unix::process::CommandExt;
    let tuned = std::env::var("GLIBC_TUNABLES").is_ok_and(|t| t.contains("arena_max"));
    if tuned || std::env::var_os("MALLOC_ARENA_MAX").is_some() {
        return;
    }
    let Ok(exe) = std::env::current_exe() else {
        return;
    };
    let mut args = std::env::args_os();
    let mut again = std::process::Command::new(exe);
    if let Some(arg0) = args.next() {
        again.arg0(arg0);
    }
    // `exec` returns only when it failed.
    let _failed = again
        .args(args)
        .env("MALLOC_ARENA_MAX", MALLOC_ARENAS)
        .exec();
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn few_malloc_arenas() {}

async fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Serve {
            db,
            listen,
            public_url,
            mail,
            screens,
            map_tiles,
            retention_months,
            security,
            search,
            geocoder,
            france_travail,
        } => {
            let store = open_store(&db).await?;
            serve(
                store,
                &listen,
                public_url,
                &mail,
                retention_months,
                &screens,
                map_tiles,
                &security,
                &search,
                geocoder,
                &france_travail,
            )
            .await
        }
        Command::Demo {
            listen,
            no_serve,
            db,
            geocoder,
            sms_number,
        } => {
            let (store, accounts) = demo::prepare(&db, &listen).await?;
            if no_serve {
                return Ok(());
            }
            accounts.print();
            // Buses of the fictional network drive along today's timetable, through the real
            // GTFS-realtime intake, so that screen pages move when opened.
            let (feed, token, base) = (
                demo::feed()?,
                accounts.feed_token.clone(),
                format!("http://{listen}"),
            );
            tokio::spawn(async move {
                tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                let (day, from) = demo::replay_start(dklik_app::now_paris());
                let args = replay::ReplayArgs {
                    day,
                    from,
                    speed: 1.0,
                    minutes: None,
                    once: false,
                    json: false,
                    quiet: true,
                };
                if let Err(e) = replay::run(&feed, &base, &token, &args).await {
                    tracing::warn!("bus simulés : {e}");
                }
            });
            say!("Bus simulés sur les horaires du jour : la page http://{listen}/ecrans liste les bus en circulation.");
            let mail = MailArgs {
                smtp: None,
                mail_from: "dklik@localhost".into(),
                mail_dir: demo::mail_dir(&db),
                sms_dir: demo::mail_dir(&db).with_file_name("sms"),
                callback_queue: demo::mail_dir(&db).with_file_name("rappels-en-attente.jsonl"),
                sms: SmsArgs {
                    sms_number,
                    ..SmsArgs::default()
                },
            };
            serve(
                store,
                &listen,
                None,
                &mail,
                dklik_app::privacy::DEFAULT_RETENTION_MONTHS,
                &ScreenArgs::default(),
                None,
                &SecurityArgs {
                    secret_file: demo::mail_dir(&db).with_file_name("secret.key"),
                    trusted_proxies: vec![],
                    security_contact: "securite@dklik.invalid".into(),
                },
                &SearchArgs::default(),
                geocoder,
                &FranceTravailArgs::default(),
            )
            .await
        }
        Command::CreateAdmin { email, name, db } => {
            let password = match std::env::var("DKLIK_ADMIN_PASSWORD") {
                Ok(p) => p,
                Err(_) => {
                    eprintln!("Mot de passe (12 caractères au moins), puis Entrée :");
                    let mut line = String::new();
                    std::io::stdin()
                        .read_line(&mut line)
                        .context("lecture du mot de passe")?;
                    line.trim_end_matches(['\r', '\n']).to_string()
                }
            };
            let store = open_store(&db).await?;
            let id = dklik_app::auth::create_user(
                store.as_ref(),
                &email,
                &name,
                &password,
                dklik_domain::Role::Admin,
                None,
                dklik_app::unix_now(),
            )
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("Compte administrateur n° {id} créé pour {email}.");
            Ok(())
        }
        Command::Token { what } => tokens(what).await,
        Command::Bench {
            what: BenchWhat::Screens { screens, rounds },
        } => bench::screens(screens, rounds).await,
        Command::Bench {
            what: BenchWhat::Suggest { rome, gold, misses },
        } => bench::suggest(&rome, &gold, misses),
        Command::Bench {
            what:
                BenchWhat::Matching {
                    rome,
                    profiles,
                    people,
                    posts,
                },
        } => {
            bench_matching::run(&rome, profiles, people, posts)?;
            bench_matching::demo_spread(3).await
        }
        Command::Bench {
            what: BenchWhat::Journeys { queries },
        } => bench::journeys(queries),
        Command::Bench {
            what: BenchWhat::Impact { people, steps },
        } => bench::impact(people, steps),
        Command::Bench {
            what:
                BenchWhat::Ranking {
                    rome,
                    people,
                    posts,
                    offers,
                    postgres,
                },
        } => bench::ranking(&rome, people, posts, offers, postgres).await,
        Command::Bench {
            what: BenchWhat::Index { db, rounds },
        } => bench::index(&open_store(&db).await?, rounds).await,
        Command::Bench {
            what:
                BenchWhat::Staff {
                    db,
                    people,
                    rounds,
                    fill_only,
                },
        } => {
            // SQLite takes one writer at a time: filling it from several tasks only waits.
            let parallel = if db.starts_with("sqlite:") { 1 } else { 8 };
            let postgres = db.starts_with("postgres").then_some(db.as_str());
            bench::staff(
                &open_store(&db).await?,
                people,
                rounds,
                fill_only,
                parallel,
                postgres,
            )
            .await
        }
        Command::Bench {
            what:
                BenchWhat::Feed {
                    vehicles,
                    bytes,
                    rounds,
                },
        } => {
            bench::feed(vehicles, bytes, rounds);
            Ok(())
        }
        Command::Bench {
            what:
                BenchWhat::Engine {
                    sites,
                    vehicles,
                    updates,
                    postgis,
                    postgis_queries,
                },
        } => {
            bench::engine(sites, vehicles, updates);
            if let Some(url) = postgis {
                bench::postgis(&url, sites, vehicles, postgis_queries).await?;
            }
            Ok(())
        }
        Command::Replay {
            gtfs,
            date,
            from,
            speed,
            minutes,
            once,
            json,
            to,
            token,
        } => {
            let feed = match dklik_transit::gtfs::read(&gtfs) {
                Ok(f) => f,
                Err(e) => bail!("{e}"),
            };
            let now = dklik_app::now_paris();
            let day = match date {
                Some(d) => time::Date::parse(
                    &d,
                    time::macros::format_description!("[year]-[month]-[day]"),
                )
                .map_err(|_| anyhow::anyhow!("« {d} » n'est pas une date AAAA-MM-JJ"))?,
                None => now.date(),
            };
            let from = match from {
                Some(f) => {
                    u32::from(
                        dklik_domain::TimeOfDay::parse(&f)
                            .map_err(|e| anyhow::anyhow!("{e}"))?
                            .minutes(),
                    ) * 60
                }
                None => {
                    u32::from(now.hour()) * 3600
                        + u32::from(now.minute()) * 60
                        + u32::from(now.second())
                }
            };
            if !(speed > 0.0 && speed <= 100.0) {
                bail!("la vitesse doit être entre 0 et 100");
            }
            let args = replay::ReplayArgs {
                day,
                from,
                speed,
                minutes,
                once,
                json,
                quiet: false,
            };
            replay::run(&feed, &to, &token, &args).await
        }
        Command::Migrate { db } => {
            let store = open_store(&db).await?;
            println!("Base {} à jour.", store.backend());
            Ok(())
        }
        Command::Report {
            db,
            from,
            to,
            channel,
            out,
            key,
        } => report(&db, &from, &to, &channel, &out, key.as_deref()).await,
        Command::CheckOffers {
            db,
            public_url,
            in_days,
        } => {
            let store = open_store(&db).await?;
            let now = dklik_app::unix_now();
            let at = now + i64::from(in_days.min(3650)) * 24 * 3600;
            let run = dklik_app::offer_checks::daily_as_of(
                store.as_ref(),
                public_url.trim_end_matches('/'),
                at,
                now,
            )
            .await?;
            println!(
                "Offres : {} question(s) « toujours d'actualité ? » envoyée(s), {} mise(s) en pause.",
                run.sent, run.paused
            );
            Ok(())
        }
        Command::Interests { db, limit } => {
            let store = open_store(&db).await?;
            for i in store.interests(limit.min(10_000)).await? {
                println!("{}", serde_json::to_string(&i)?);
            }
            Ok(())
        }
        Command::Import {
            what: ImportWhat::Rome { dir, db },
        } => import_rome(&dir, &db).await,
        Command::Import {
            what: ImportWhat::Gtfs { path, db },
        } => import_gtfs(&path, &db).await,
        Command::Import {
            what: ImportWhat::Places { file, db },
        } => {
            let bytes = std::fs::read(&file)
                .with_context(|| format!("lecture de {} impossible", file.display()))?;
            let places = dklik_imports::places::read(&bytes).map_err(|e| anyhow::anyhow!("{e}"))?;
            let store = open_store(&db).await?;
            store.save_neighbourhoods(&places).await?;
            println!(
                "{} lieux enregistrés (nouveaux ou mis à jour).",
                places.len()
            );
            Ok(())
        }
        Command::Import {
            what:
                ImportWhat::Offers {
                    file,
                    db,
                    fictional,
                },
        } => import_offer_file(&file, &db, fictional).await,
    }
}

async fn tokens(what: TokenWhat) -> Result<()> {
    match what {
        TokenWhat::Create { name, role, db } => {
            let role = dklik_domain::Role::parse(&role).map_err(|e| anyhow::anyhow!("{e}"))?;
            let store = open_store(&db).await?;
            let (id, token) = dklik_app::auth::create_api_token(
                store.as_ref(),
                &name,
                role,
                dklik_app::unix_now(),
            )
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("Jeton n° {id} ({}) : {token}", role.as_str());
            println!("Il ne sera plus affiché : gardez-le dans la configuration de l'appareil.");
        }
        TokenWhat::Revoke { id, db } => {
            let store = open_store(&db).await?;
            match store.revoke_api_token(id, dklik_app::unix_now()).await {
                Ok(()) => println!("Jeton n° {id} révoqué."),
                Err(dklik_app::StoreError::NotFound) => bail!("aucun jeton actif n° {id}"),
                Err(e) => return Err(e.into()),
            }
        }
        TokenWhat::List { db } => {
            let store = open_store(&db).await?;
            for t in store.api_tokens().await? {
                println!("{}", serde_json::to_string(&t)?);
            }
        }
    }
    Ok(())
}

/// A UDP socket joined to an ITxPT multicast group, "GROUP:PORT".
async fn itxpt_socket(group: &str) -> Result<tokio::net::UdpSocket> {
    let addr: std::net::SocketAddrV4 = group.parse().with_context(|| {
        format!("« {group} » : il faut GROUPE:PORT, par exemple 239.255.42.1:5001")
    })?;
    if !addr.ip().is_multicast() {
        bail!(
            "{} n'est pas une adresse de groupe multicast (224.0.0.0/4)",
            addr.ip()
        );
    }
    let sock = tokio::net::UdpSocket::bind(("0.0.0.0", addr.port()))
        .await
        .with_context(|| format!("écoute UDP sur le port {} impossible", addr.port()))?;
    sock.join_multicast_v4(*addr.ip(), std::net::Ipv4Addr::UNSPECIFIED)
        .with_context(|| format!("adhésion au groupe {} impossible", addr.ip()))?;
    Ok(sock)
}

fn mailer(mail: &MailArgs) -> Arc<dyn dklik_app::mail::Mailer> {
    match &mail.smtp {
        Some(addr) => Arc::new(dklik_app::mail::SmtpMailer {
            addr: addr.clone(),
            from: mail.mail_from.clone(),
            helo: "dklik".into(),
        }),
        None => Arc::new(dklik_app::mail::FolderMailer {
            dir: mail.mail_dir.clone(),
            from: mail.mail_from.clone(),
        }),
    }
}

#[allow(clippy::too_many_arguments)]
async fn serve(
    store: Arc<dyn Store>,
    listen: &str,
    public_url: Option<String>,
    mail: &MailArgs,
    retention_months: u32,
    screen_args: &ScreenArgs,
    map_tiles: Option<String>,
    security: &SecurityArgs,
    search: &SearchArgs,
    geocoder: Option<String>,
    france_travail: &FranceTravailArgs,
) -> Result<()> {
    let (key, proxies) = (security.key()?, security.proxies()?);
    let france_travail_cfg = france_travail.config()?;
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("impossible d'écouter sur {listen}"))?;
    let addr = listener.local_addr()?;
    let base = public_url.unwrap_or_else(|| format!("http://{addr}"));
    let providers = mail.sms.providers(&base)?;
    let sms_number = mail.sms.number()?;
    // Texts wait in the database's queue and a task hands them to the providers in order;
    // without any, to a folder (one file each).
    let providers = if providers.0.is_empty() {
        say!(
            "SMS : écrits dans {} (pas de fournisseur configuré)",
            mail.sms_dir.display()
        );
        dklik_app::sms::Providers(vec![Arc::new(dklik_app::sms::Folder {
            dir: mail.sms_dir.clone(),
        })])
    } else {
        let names: Vec<&str> = providers.0.iter().map(|p| p.name()).collect();
        say!("SMS : envoyés par {} (dans cet ordre)", names.join(", "));
        providers
    };
    tokio::spawn(dklik_app::sms::keep_sending(store.clone(), providers));
    let sms: Arc<dyn dklik_app::orientation::SmsSender> = Arc::new(dklik_app::sms::QueuedSms {
        store: store.clone(),
    });
    match &mail.smtp {
        Some(s) => say!("Courriels : relais SMTP {s}"),
        None => say!(
            "Courriels : écrits dans {} (pas de relais SMTP configuré)",
            mail.mail_dir.display()
        ),
    }
    let jobs_store = store.clone();
    let jobs_mailer = mailer(mail);
    let settings = dklik_app::jobs::JobSettings {
        base_url: base.clone(),
        retention_months,
        daily_hour: 8,
        sms: sms.clone(),
    };
    tokio::spawn(async move {
        loop {
            dklik_app::jobs::tick(jobs_store.as_ref(), jobs_mailer.as_ref(), &settings).await;
            tokio::time::sleep(std::time::Duration::from_secs(10)).await;
        }
    });
    say!("DKLIK écoute sur http://{addr} (base {})", store.backend());
    say!("  Site public : {base}/");
    say!("  Offres      : {base}/offres");
    say!("  API         : {base}/api/v1/openapi.json");
    say!("Arrêt : Ctrl+C");
    // A database busy at start (another writer, a loaded machine) is waited for, not fatal.
    let mut tries = 0;
    let screens = loop {
        match dklik_app::screens::ScreenHub::load(
            store.as_ref(),
            screen_args.engine_config(),
            screen_args.slide_seconds,
        )
        .await
        {
            Ok(hub) => break Arc::new(hub.with_offer_ttl(screen_args.offer_ttl_minutes * 60)),
            Err(e) if e.is_unavailable() && tries < 60 => {
                tries += 1;
                tracing::warn!("écrans : base de données occupée, nouvel essai ({e})");
                tokio::time::sleep(std::time::Duration::from_millis(500)).await;
            }
            Err(e) => {
                return Err(anyhow::Error::new(e)
                    .context("chargement du réseau et des offres pour les écrans"))
            }
        }
    };
    for (flag, url) in [
        ("--gtfs-rt-url", &screen_args.gtfs_rt_url),
        ("--siri-vm-url", &screen_args.siri_vm_url),
    ] {
        if let Some(u) = url {
            if !(u.starts_with("http://") || u.starts_with("https://")) {
                anyhow::bail!("{flag} : une adresse http:// ou https:// est attendue, pas « {u} »");
            }
        }
    }
    if let Some(url) = screen_args.gtfs_rt_url.clone() {
        say!(
            "GTFS-realtime : positions lues à {url} toutes les {} s",
            screen_args.gtfs_rt_every
        );
        let (hub, hub_store) = (screens.clone(), store.clone());
        let src = poll::Source {
            url,
            kind: poll::Kind::GtfsRt,
            every: std::time::Duration::from_secs(screen_args.gtfs_rt_every),
        };
        tokio::spawn(async move { poll::poll_forever(src, hub, hub_store).await });
    }
    if let Some(url) = screen_args.siri_vm_url.clone() {
        let kind = if screen_args.siri_vm_method == "get" {
            poll::Kind::SiriGet
        } else {
            poll::Kind::SiriRequest {
                requestor: screen_args.siri_requestor_ref.clone(),
                monitoring_ref: screen_args.siri_vm_ref.clone(),
            }
        };
        say!(
            "SIRI-VM : positions demandées à {url} ({}) toutes les {} s",
            screen_args.siri_vm_method.to_uppercase(),
            screen_args.siri_vm_every
        );
        let (hub, hub_store) = (screens.clone(), store.clone());
        let src = poll::Source {
            url,
            kind,
            every: std::time::Duration::from_secs(screen_args.siri_vm_every),
        };
        tokio::spawn(async move { poll::poll_forever(src, hub, hub_store).await });
    }
    if let (Some(group), Some(vehicle)) = (
        screen_args.itxpt_group.clone(),
        screen_args.itxpt_vehicle.clone(),
    ) {
        let sock = itxpt_socket(&group).await?;
        say!("ITxPT : positions GNSSLocation du groupe {group}, véhicule {vehicle}");
        let (hub, hub_store) = (screens.clone(), store.clone());
        tokio::spawn(async move {
            let mut buf = vec![0u8; 65_536];
            loop {
                let n = match sock.recv(&mut buf).await {
                    Ok(n) => n,
                    Err(e) => {
                        tracing::warn!("ITxPT : réception impossible ({e})");
                        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                        continue;
                    }
                };
                match dklik_transit::realtime::itxpt::decode(&buf[..n], &vehicle) {
                    Ok(d) => {
                        let now = dklik_app::unix_now();
                        let positions = dklik_app::screens::positions_of(d.reports, now);
                        // Refused positions are counted by the engine; nothing to do here.
                        if let Err(e) = hub.ingest_many(hub_store.as_ref(), &positions, now).await {
                            tracing::warn!("ITxPT : {e}");
                        }
                    }
                    Err(e) => tracing::warn!("ITxPT : datagramme illisible ({e})"),
                }
            }
        });
    }
    // Several servers on one PostgreSQL: each tells the others of screen changes.
    let (hub, hub_store) = (screens.clone(), store.clone());
    tokio::spawn(async move {
        loop {
            if let Err(e) = hub.follow_others(hub_store.as_ref()).await {
                tracing::warn!(
                    "écrans : écoute des autres serveurs interrompue ({e}), reprise dans 5 s"
                );
            } else {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_secs(5)).await;
        }
    });
    // Offers published, closed or filled, and a new GTFS feed, reach the screens within 30
    // seconds.
    let (hub, hub_store) = (screens.clone(), store.clone());
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(std::time::Duration::from_secs(30)).await;
            match hub.follow_network(hub_store.as_ref()).await {
                Ok(true) => tracing::info!("écrans : nouveau réseau de bus pris en compte"),
                Ok(false) => {}
                Err(e) => tracing::warn!("écrans : {e}"),
            }
            if let Err(e) = hub.refresh_offers(hub_store.as_ref()).await {
                tracing::warn!("écrans : {e}");
            }
        }
    });
    let state = dklik_web::AppState::new(store, &base, retention_months, screens);
    let state = dklik_web::AppState::with_sms(state, sms, mail.sms.sms_receipts_secret.clone());
    let state = dklik_web::AppState::with_sms_number(state, sms_number);
    let state = dklik_web::AppState::with_map_tiles(state, map_tiles);
    let state = dklik_web::AppState::with_geocoder(state, geocoder);
    let state = dklik_web::AppState::with_security(state, key, proxies);
    let state = dklik_web::AppState::with_max_feed_bytes(
        state,
        usize::try_from(screen_args.max_feed_bytes).unwrap_or(dklik_web::DEFAULT_MAX_FEED_BYTES),
    );
    let state = dklik_web::AppState::with_security_contact(state, &security.security_contact);
    let state = dklik_web::AppState::with_page_cache(
        state,
        std::time::Duration::from_secs(search.page_cache_seconds),
    );
    let queue = Arc::new(dklik_app::callbacks::CallbackQueue::new(
        mail.callback_queue.clone(),
    ));
    let state = dklik_web::AppState::with_callback_queue(state, queue.clone());
    // Requests kept during an outage are written as soon as the database answers again.
    tokio::spawn(dklik_app::callbacks::keep_replaying(
        queue,
        state.store.clone(),
        std::time::Duration::from_secs(2),
    ));
    if let Some(cfg) = france_travail_cfg {
        say!(
            "France Travail : offres autour de {} commune(s), toutes les {} min",
            cfg.communes.len(),
            france_travail.france_travail_every_minutes
        );
        tokio::spawn(dklik_app::france_travail::keep_syncing(
            state.store.clone(),
            cfg,
            std::time::Duration::from_secs(france_travail.france_travail_every_minutes * 60),
        ));
    }
    // Which offers each neighbourhood reaches by bus, rebuilt when the offers change.
    tokio::spawn(dklik_app::journeys::keep_fresh(
        state.store.clone(),
        state.transit.clone(),
        state.reach.clone(),
    ));
    if search.search == "memory" {
        // The public search answers from memory, rebuilt within seconds of any change.
        tokio::spawn(dklik_app::search::keep_fresh(
            state.store.clone(),
            state.search.clone(),
        ));
        // So do the staff's lists of people and employers.
        tokio::spawn(dklik_app::directory::keep_fresh(
            state.store.clone(),
            state.people.clone(),
            state.employers.clone(),
        ));
    }
    // What the first staff pages would otherwise compute while others wait (the inbox's
    // likely duplicates: a tenth of a second at 100,000 people).
    let warm = state.clone();
    tokio::spawn(async move { dklik_web::warm_up(&warm).await });
    dklik_web::serve(state, listener).await?;
    Ok(())
}

async fn import_gtfs(path: &std::path::Path, db: &str) -> Result<()> {
    eprintln!("Lecture de {}…", path.display());
    let feed = match dklik_transit::gtfs::read(path) {
        Ok(f) => f,
        Err(e) => bail!("{e}"),
    };
    let store = open_store(db).await?;
    let total: u64 = feed.counts().iter().map(|(_, n)| *n as u64).sum();
    let bar = progress_bar(total);
    let progress = |n: u64| bar.set_position(n);
    store.save_gtfs(&feed, &progress).await?;
    bar.finish_and_clear();
    println!("Flux GTFS importé (il remplace le précédent) :");
    for (what, n) in feed.counts() {
        println!("{what} : {n}");
    }
    for note in &feed.notes {
        println!("À savoir : {note}");
    }
    Ok(())
}

fn progress_bar(total: u64) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(total);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} lignes ({eta})")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    bar
}

async fn import_rome(dir: &std::path::Path, db: &str) -> Result<()> {
    eprintln!("Lecture de {}…", dir.display());
    let rome = match dklik_imports::rome::read_dir(dir) {
        Ok(r) => r,
        Err(e) => bail!("{e}"),
    };
    let store = open_store(db).await?;
    let total = dklik_app::rome::row_total(&rome);
    let bar = progress_bar(total);
    let progress = |n: u64| bar.set_position(n);
    let report = dklik_app::rome::import_rome(store.as_ref(), &rome, &progress).await?;
    bar.finish_and_clear();
    let c = report.counts;
    println!(
        "Référentiel ROME importé : {} lignes ajoutées ou modifiées.",
        report.changed
    );
    println!("fiches métiers : {}", c.jobs);
    println!("appellations : {}", c.appellations);
    println!(
        "compétences : {} (dont savoir-être : {})",
        c.competences, c.savoir_etre
    );
    println!("savoirs : {}", c.savoirs);
    println!("contextes de travail : {}", c.contexts);
    println!("liens fiche-élément : {}", c.job_items);
    println!("liens de mobilité : {}", c.mobility);
    Ok(())
}

async fn import_offer_file(file: &std::path::Path, db: &str, fictional: bool) -> Result<()> {
    let meta = std::fs::metadata(file)
        .with_context(|| format!("fichier {} introuvable", file.display()))?;
    if meta.len() > dklik_imports::MAX_IMPORT_BYTES {
        bail!("fichier trop gros ({} octets ; 64 Mo au plus)", meta.len());
    }
    let bytes =
        std::fs::read(file).with_context(|| format!("lecture de {} impossible", file.display()))?;
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let raw = match dklik_imports::offers::read(&name, &bytes) {
        Ok(r) => r,
        Err(e) => bail!("{e}"),
    };
    let store = open_store(db).await?;
    match import_offers(store.as_ref(), raw, fictional).await {
        Ok(out) => {
            println!(
                "Offres importées : {} créées, {} mises à jour.",
                out.created, out.updated
            );
            if out.kept > 0 {
                println!(
                    "{} offres modifiées par quelqu'un pendant l'importation (une embauche, \
                     un statut) sont restées telles que cette personne les a laissées.",
                    out.kept
                );
            }
            Ok(())
        }
        Err(ImportError::Invalid(e)) => bail!("{e}"),
        Err(ImportError::Store(dklik_app::StoreError::Conflict(m))) => {
            bail!("Le fichier est refusé, rien n'a été enregistré : {m}")
        }
        Err(ImportError::Store(e)) => Err(e.into()),
    }
}

/// `dklik report`: the dashboard's exports, without the web server.
async fn report(
    db: &str,
    from: &str,
    to: &str,
    channel: &str,
    out: &std::path::Path,
    key: Option<&str>,
) -> Result<()> {
    use dklik_app::impact::{self, Report, ReportParams};
    let params = ReportParams::parse(from, to, channel, dklik_app::today_paris()).map_err(|e| {
        anyhow::anyhow!(
            "{}",
            e.errors
                .iter()
                .map(|f| format!("--{} : {}", cli_flag(&f.field), f.message))
                .collect::<Vec<_>>()
                .join("\n")
        )
    })?;
    let key = match key {
        Some(k) => Some(
            impact::check_key(k)
                .map_err(|e| anyhow::anyhow!("--key : {}", e.errors[0].message))?
                .to_string(),
        ),
        None => None,
    };
    let store = open_store(db).await?;
    let report = Report::load(store.as_ref(), params).await?;
    std::fs::create_dir_all(out)?;
    let now = time::OffsetDateTime::now_utc();
    let mut names = impact::export_names();
    for name in &names {
        let body = impact::export(&report, name, now).expect("known export");
        std::fs::write(out.join(format!("{name}.csv")), body)?;
    }
    if let Some(k) = key {
        std::fs::write(out.join("personnes.csv"), report.people_csv(&k, now))?;
        names.push("personnes".into());
    }
    let t = report.funnel(dklik_domain::impact::Dimension::Channel);
    println!(
        "Du {} au {} : {} affichages, {} scans, {} intérêts, {} contactés, {} mises en relation, {} entretiens, {} embauches.",
        report.params.from,
        report.params.to,
        t.total.counts[0].unwrap_or(0),
        t.total.counts[1].unwrap_or(0),
        t.total.counts[2].unwrap_or(0),
        t.total.counts[3].unwrap_or(0),
        t.total.counts[4].unwrap_or(0),
        t.total.counts[5].unwrap_or(0),
        t.total.counts[6].unwrap_or(0),
    );
    println!("{} fichiers écrits dans {}.", names.len(), out.display());
    Ok(())
}

fn cli_flag(field: &str) -> &str {
    match field {
        "du" => "from",
        "au" => "to",
        "canal" => "channel",
        other => other,
    }
}
