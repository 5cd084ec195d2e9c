//! The `dklik` binary, run as a person would run it.

use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};

fn dklik(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dklik"))
        .args(args)
        .output()
        .expect("run dklik")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures")
}

fn temp_db() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("t.db").display());
    (dir, url)
}

/// The value printed after "label : " in the import report.
fn count(out: &str, label: &str) -> u64 {
    out.lines()
        .find_map(|l| l.strip_prefix(&format!("{label} : ")))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no « {label} » in:\n{out}"))
}

fn full_rome_import(db: &str) {
    let dir = std::env::var("DKLIK_ROME_DIR").unwrap_or_else(|_| {
        panic!("DKLIK_ROME_DIR must name the official ROME 4.0 export (the test command sets it)")
    });
    let first = dklik(&["import", "rome", &dir, "--db", db]);
    let out = text(&first);
    assert!(first.status.success(), "{out}");
    assert_eq!(count(&out, "fiches métiers"), 1_584);
    assert_eq!(count(&out, "compétences"), 18_317);
    assert!(out.contains("dont savoir-être : 16)"), "{out}");
    assert_eq!(count(&out, "savoirs"), 15_354);
    assert_eq!(count(&out, "appellations"), 13_120);
    assert_eq!(count(&out, "liens fiche-élément"), 104_219);
    let second = dklik(&["import", "rome", &dir, "--db", db]);
    let out2 = text(&second);
    assert!(second.status.success(), "{out2}");
    assert!(
        out2.contains("importé : 0 lignes ajoutées ou modifiées"),
        "{out2}"
    );
    assert_eq!(count(&out2, "liens fiche-élément"), 104_219);
}

#[test]
fn full_rome_release_on_sqlite() {
    let (_d, db) = temp_db();
    full_rome_import(&db);
}

#[test]
fn full_rome_release_on_postgres() {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let admin = std::env::var("DKLIK_TEST_PG_URL")
        .expect("DKLIK_TEST_PG_URL must name the throwaway PostgreSQL (the test command sets it)");
    let name = format!(
        "dklik_cli_{}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    );
    let (base, _) = admin.rsplit_once('/').expect("URL ends with /DATABASE");
    let psql = Command::new("psql")
        .args([&admin, "-qc", &format!("CREATE DATABASE {name}")])
        .output()
        .expect("psql");
    assert!(psql.status.success(), "{}", text(&psql));
    full_rome_import(&format!("{base}/{name}"));
}

#[test]
fn offers_import_from_csv_and_france_travail_json() {
    let (_d, db) = temp_db();
    let rome = fixtures().join("rome");
    let o = dklik(&["import", "rome", rome.to_str().expect("path"), "--db", &db]);
    assert!(o.status.success(), "{}", text(&o));
    let csv = fixtures().join("offers/demo-offres.csv");
    let o = dklik(&[
        "import",
        "offers",
        csv.to_str().expect("path"),
        "--db",
        &db,
        "--fictional",
    ]);
    assert!(
        text(&o).contains("64 créées, 0 mises à jour"),
        "{}",
        text(&o)
    );
    let o = dklik(&["import", "offers", csv.to_str().expect("path"), "--db", &db]);
    assert!(
        text(&o).contains("0 créées, 64 mises à jour"),
        "{}",
        text(&o)
    );
    let json = fixtures().join("offers/france-travail-sample.json");
    let o = dklik(&[
        "import",
        "offers",
        json.to_str().expect("path"),
        "--db",
        &db,
    ]);
    assert!(text(&o).contains("2 créées"), "{}", text(&o));
}

#[test]
fn a_bad_offer_file_is_refused_whole_with_every_error() {
    let (dir, db) = temp_db();
    let rome = fixtures().join("rome");
    assert!(
        dklik(&["import", "rome", rome.to_str().expect("path"), "--db", &db])
            .status
            .success()
    );
    let bad = dir.path().join("bad.csv");
    std::fs::write(
        &bad,
        "id_externe;entreprise;site;adresse;commune;code_insee;latitude;longitude;intitule;description;code_rome;appellation;competences;horaires;contrat;heures_semaine;postes;sans_diplome;etat;date_fin\n\
         X1;Acier;;;Dunkerque;59183;51.03;2.37;Soudeur;;H2913;;300490:2;lun-ven 05:00-13:00;cdi;35;1;non;;\n\
         X1;Acier;;;Dunkerque;59183;151.03;2.37;Soudeur;;H2913;;300490:9;lun-ven 05:00-13:00;cdi;35;1;non;;\n",
    )
    .expect("write");
    let o = dklik(&["import", "offers", bad.to_str().expect("path"), "--db", &db]);
    let out = text(&o);
    assert!(!o.status.success());
    assert!(out.contains("Rien n'a été enregistré"), "{out}");
    assert!(out.contains("ligne 3, champ « id_externe »"), "{out}");
    assert!(out.contains("ligne 3, champ « latitude »"), "{out}");
    assert!(out.contains("ligne 3, champ « competences »"), "{out}");
    let listed = dklik(&["interests", "--db", &db]);
    assert!(listed.status.success());
    // Nothing was written: a good import of the first line alone now creates it.
    let good = dir.path().join("good.csv");
    let content = std::fs::read_to_string(&bad).expect("read");
    let mut lines = content.lines();
    std::fs::write(
        &good,
        format!(
            "{}\n{}\n",
            lines.next().unwrap_or(""),
            lines.next().unwrap_or("")
        ),
    )
    .expect("write");
    let o = dklik(&[
        "import",
        "offers",
        good.to_str().expect("path"),
        "--db",
        &db,
    ]);
    assert!(
        text(&o).contains("1 créées, 0 mises à jour"),
        "{}",
        text(&o)
    );
}

#[test]
fn unknown_database_scheme_is_explained() {
    let o = dklik(&["migrate", "--db", "mysql://x"]);
    assert!(!o.status.success());
    assert!(
        text(&o).contains("adresse de base inconnue"),
        "{}",
        text(&o)
    );
}

fn dklik_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_dklik"));
    c.args(args);
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().expect("run dklik")
}

#[test]
fn create_admin_and_api_tokens() {
    let (_d, db) = temp_db();
    let short = dklik_env(
        &["create-admin", "--email", "admin@exemple.fr", "--db", &db],
        &[("DKLIK_ADMIN_PASSWORD", "court")],
    );
    assert!(!short.status.success());
    assert!(
        text(&short).contains("au moins 12 caractères"),
        "{}",
        text(&short)
    );
    let ok = dklik_env(
        &["create-admin", "--email", "admin@exemple.fr", "--db", &db],
        &[("DKLIK_ADMIN_PASSWORD", "une phrase de passe")],
    );
    assert!(ok.status.success(), "{}", text(&ok));
    let again = dklik_env(
        &["create-admin", "--email", "ADMIN@exemple.fr", "--db", &db],
        &[("DKLIK_ADMIN_PASSWORD", "une phrase de passe")],
    );
    assert!(text(&again).contains("existe déjà"), "{}", text(&again));
    let t = dklik(&[
        "token", "create", "--name", "Bus 4", "--role", "screen", "--db", &db,
    ]);
    let out = text(&t);
    assert!(out.contains(" : dk_"), "{out}");
    let bad = dklik(&[
        "token", "create", "--name", "X", "--role", "admin", "--db", &db,
    ]);
    assert!(!bad.status.success());
    let list = text(&dklik(&["token", "list", "--db", &db]));
    assert!(
        list.contains("\"Bus 4\"") && !list.contains("dk_"),
        "values never listed: {list}"
    );
    assert!(dklik(&["token", "revoke", "1", "--db", &db])
        .status
        .success());
    let twice = dklik(&["token", "revoke", "1", "--db", &db]);
    assert!(!twice.status.success());
    assert!(text(&twice).contains("aucun jeton actif"));
}

#[test]
fn gtfs_import_from_a_folder_and_a_bad_feed() {
    let (dir, db) = temp_db();
    let demo = fixtures().join("gtfs/dunkerque-demo");
    let o = dklik(&["import", "gtfs", demo.to_str().expect("path"), "--db", &db]);
    let out = text(&o);
    assert!(o.status.success(), "{out}");
    assert!(out.contains("lignes : 10"), "{out}");
    assert!(out.contains("arrêts : 30"), "{out}");
    let bad = dir.path().join("bad");
    std::fs::create_dir(&bad).expect("dir");
    std::fs::write(
        bad.join("agency.txt"),
        "agency_name,agency_timezone\nX,Europe/Paris\n",
    )
    .expect("w");
    std::fs::write(bad.join("stops.txt"), "stop_id,stop_lat,stop_lon\nA,99,2\n").expect("w");
    let o = dklik(&["import", "gtfs", bad.to_str().expect("path"), "--db", &db]);
    let out = text(&o);
    assert!(!o.status.success());
    assert!(
        out.contains("routes.txt") && out.contains("fichier obligatoire absent"),
        "{out}"
    );
    // The feed in use is untouched.
    let o = dklik(&["import", "gtfs", "/nulle/part", "--db", &db]);
    assert!(
        text(&o).contains("ni dossier ni fichier zip"),
        "{}",
        text(&o)
    );
}

/// A running `dklik demo`, stopped when dropped.
struct Demo {
    child: std::process::Child,
    base: String,
    feed_token: String,
    _dir: tempfile::TempDir,
}

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_demo() -> Demo {
    // A port found free may be taken by another test before the demo binds it: try again.
    let mut why = Vec::new();
    for _ in 0..3 {
        match try_start_demo() {
            Ok(d) => return d,
            Err(e) => why.push(e),
        }
    }
    panic!(
        "the demo did not start on three ports in a row:\n{}",
        why.join("\n---\n")
    );
}

/// The demo's log without backtrace frames: its first and last lines, where the error is.
fn log_excerpt(demo: &Demo) -> String {
    let log = std::fs::read_to_string(demo._dir.path().join("stderr.log")).unwrap_or_default();
    let lines: Vec<&str> = log
        .lines()
        .filter(|l| {
            let t = l.trim_start();
            !(t.starts_with("at ")
                || t.split(':')
                    .next()
                    .is_some_and(|n| n.parse::<u32>().is_ok()))
        })
        .collect();
    if lines.len() <= 40 {
        return lines.join("\n");
    }
    format!(
        "{}\n[…]\n{}",
        lines[..20].join("\n"),
        lines[lines.len() - 20..].join("\n")
    )
}

/// A demo that answers, or what it wrote before stopping.
fn try_start_demo() -> Result<Demo, String> {
    use std::io::{BufRead, BufReader};
    let dir = tempfile::tempdir().expect("tmp");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("port")
        .local_addr()
        .expect("addr")
        .port();
    let db = format!("sqlite://{}", dir.path().join("demo.db").display());
    let mut child = Command::new(env!("CARGO_BIN_EXE_dklik"))
        .args([
            "demo",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--db",
            &db,
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::fs::File::create(dir.path().join("stderr.log")).expect("log file"))
        .spawn()
        .expect("demo");
    let out = child.stdout.take().expect("stdout");
    // The demo's output is read to its end on a thread of its own: a pipe closed early would
    // make its next line fail (a broken pipe).
    let (tx, lines) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut feed_token = String::new();
    let mut listening = false;
    for line in lines.iter() {
        if let Some(t) = line.split("Flux de positions jeton ").nth(1) {
            feed_token = t.trim().to_string();
        }
        if line.starts_with("DKLIK écoute") {
            listening = true;
            break;
        }
    }
    let base = format!("http://127.0.0.1:{port}");
    let demo = Demo {
        child,
        base,
        feed_token,
        _dir: dir,
    };
    if !listening {
        return Err(format!(
            "the demo stopped before listening; its log:\n{}",
            log_excerpt(&demo)
        ));
    }
    assert!(
        demo.feed_token.starts_with("dk_"),
        "the demo prints a feed token"
    );
    // Up to 30 s: the demo loads the network and its offers before it answers, and CI
    // machines are shared.
    let mut last = (0, String::new());
    let up = (0..300).any(|_| {
        std::thread::sleep(std::time::Duration::from_millis(100));
        last = http_get(&demo.base, "/healthz");
        last.0 == 200
    });
    if up {
        Ok(demo)
    } else {
        Err(format!(
            "the demo listened but /healthz never answered 200 (last: {} {}); its log:\n{}",
            last.0,
            last.1,
            log_excerpt(&demo)
        ))
    }
}

#[test]
fn replay_drives_buses_through_the_gtfs_realtime_intake() {
    let demo = start_demo();
    let feed = fixtures().join("gtfs/dunkerque-demo");
    let o = dklik(&[
        "replay",
        feed.to_str().expect("path"),
        "--date",
        "2026-11-30",
        "--from",
        "08:00",
        "--once",
        "--to",
        &demo.base,
        "--token",
        &demo.feed_token,
    ]);
    let out = text(&o);
    assert!(o.status.success(), "{out}");
    let json = out
        .lines()
        .find_map(|l| l.split(" bus : ").nth(1))
        .expect("an answer");
    let v: serde_json::Value = serde_json::from_str(json).expect("json");
    assert!(v["accepted"].as_u64().unwrap_or(0) > 10, "{v}");
    assert!(v["screens_changed"].as_u64().unwrap_or(0) > 0, "{v}");
    let bad = dklik(&[
        "replay",
        feed.to_str().expect("path"),
        "--date",
        "2026-11-30",
        "--from",
        "09:00",
        "--once",
        "--to",
        &demo.base,
        "--token",
        "dk_nope",
    ]);
    assert!(!bad.status.success());
    assert!(text(&bad).contains("401"), "{}", text(&bad));
    let night = dklik(&[
        "replay",
        feed.to_str().expect("path"),
        "--date",
        "2026-12-25",
        "--from",
        "03:00",
        "--once",
        "--to",
        &demo.base,
        "--token",
        &demo.feed_token,
    ]);
    assert!(
        night.status.success(),
        "Christmas runs the Sunday service: {}",
        text(&night)
    );
}

/// A plain HTTP GET on loopback: (status, body).
fn http_get(base: &str, path: &str) -> (u16, String) {
    use std::io::{Read, Write};
    let host = base.trim_start_matches("http://");
    let Ok(mut s) = std::net::TcpStream::connect(host) else {
        return (0, String::new());
    };
    let _ = s.write_all(
        format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n").as_bytes(),
    );
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    let status = out
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (
        status,
        out.split("\r\n\r\n").nth(1).unwrap_or("").to_string(),
    )
}

struct Server(std::process::Child);
impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `dklik serve` over `db` on a free port, its key and mails in `dir`, with more options; its
/// log goes to `stderr`. Returns the server and its address once `/healthz` answers.
fn serve_on(
    dir: &std::path::Path,
    db: &str,
    more: &[&str],
    stderr: std::process::Stdio,
) -> (Server, String) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("port")
        .local_addr()
        .expect("addr")
        .port();
    let listen = format!("127.0.0.1:{port}");
    let mut args = vec![
        "serve",
        "--db",
        db,
        "--listen",
        &listen,
        "--mail-dir",
        dir.to_str().expect("path"),
    ];
    args.extend_from_slice(more);
    let server = Server(
        Command::new(env!("CARGO_BIN_EXE_dklik"))
            .env("DKLIK_SECRET_FILE", dir.join("secret.key"))
            .args(&args)
            .stdout(std::process::Stdio::null())
            .stderr(stderr)
            .spawn()
            .expect("serve"),
    );
    let base = format!("http://{listen}");
    assert!(
        (0..100).any(|_| {
            std::thread::sleep(std::time::Duration::from_millis(100));
            http_get(&base, "/healthz").0 == 200
        }),
        "the server did not start"
    );
    (server, base)
}

#[test]
fn two_servers_on_postgres_share_the_screens() {
    let admin =
        std::env::var("DKLIK_TEST_PG_URL").expect("DKLIK_TEST_PG_URL (the test command sets it)");
    let name = format!("dklik_two_{}", std::process::id());
    let psql = Command::new("psql")
        .args([&admin, "-qc", &format!("CREATE DATABASE {name}")])
        .output()
        .expect("psql");
    assert!(psql.status.success(), "{}", text(&psql));
    let db = format!("{}/{name}", admin.rsplit_once('/').expect("url").0);
    let f = fixtures();
    for args in [
        vec![
            "import",
            "rome",
            f.join("rome").to_str().expect("p"),
            "--db",
            &db,
        ],
        vec![
            "import",
            "offers",
            f.join("offers/demo-offres.csv").to_str().expect("p"),
            "--fictional",
            "--db",
            &db,
        ],
        vec![
            "import",
            "gtfs",
            f.join("gtfs/dunkerque-demo").to_str().expect("p"),
            "--db",
            &db,
        ],
    ] {
        let o = dklik(&args);
        assert!(o.status.success(), "{}", text(&o));
    }
    let t = text(&dklik(&[
        "token", "create", "--name", "flux", "--role", "feed", "--db", &db,
    ]));
    let token = t
        .split(" : ")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .expect("token")
        .to_string();
    let dir = tempfile::tempdir().expect("tmp");
    let mut servers = Vec::new();
    let mut bases = Vec::new();
    for _ in 0..2 {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .expect("port")
            .local_addr()
            .expect("addr")
            .port();
        let child = Command::new(env!("CARGO_BIN_EXE_dklik"))
            .env("DKLIK_SECRET_FILE", dir.path().join("secret.key"))
            .args([
                "serve",
                "--db",
                &db,
                "--listen",
                &format!("127.0.0.1:{port}"),
                "--mail-dir",
                dir.path().to_str().expect("p"),
            ])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("serve");
        servers.push(Server(child));
        bases.push(format!("http://127.0.0.1:{port}"));
    }
    for b in &bases {
        let up = (0..100).any(|_| {
            std::thread::sleep(std::time::Duration::from_millis(100));
            http_get(b, "/healthz").0 == 200
        });
        assert!(up, "{b} did not start");
    }
    // Let both servers start listening to each other.
    std::thread::sleep(std::time::Duration::from_millis(500));
    let o = dklik(&[
        "replay",
        f.join("gtfs/dunkerque-demo").to_str().expect("p"),
        "--date",
        "2026-11-30",
        "--from",
        "08:00",
        "--once",
        "--to",
        &bases[0],
        "--token",
        &token,
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let seen_on_b = (0..50).any(|_| {
        std::thread::sleep(std::time::Duration::from_millis(100));
        http_get(&bases[1], "/ecrans").1.contains("/ecran/V-")
    });
    assert!(
        seen_on_b,
        "a position received by one server changes the screens of the other"
    );
    let screens_b = http_get(&bases[1], "/ecrans").1;
    let vehicle = screens_b
        .split("/ecran/")
        .nth(1)
        .and_then(|s| s.split(['<', '"']).next())
        .expect("a vehicle")
        .to_string();
    let page_b = http_get(&bases[1], &format!("/ecran/{vehicle}")).1;
    let page_a = http_get(&bases[0], &format!("/ecran/{vehicle}")).1;
    let codes = |page: &str| -> Vec<String> {
        page.split("<p class=\"url\">")
            .skip(1)
            .filter_map(|s| s.split("/s/").nth(1))
            .map(|s| s.chars().take(8).collect())
            .collect()
    };
    assert!(!codes(&page_b).is_empty(), "server B shows offer slides");
    assert!(
        codes(&page_a) == codes(&page_b),
        "both servers show the same slides (same impressions)"
    );
    drop(servers);
}

/// ITxPT GNSSLocation over UDP multicast, inside a network namespace made for the test: the
/// datagram stays on that namespace's loopback and can never leave the machine.
#[test]
fn itxpt_multicast_positions_reach_the_screens() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = format!("sqlite://{}", dir.path().join("demo.db").display());
    let o = dklik(&["demo", "--no-serve", "--db", &db]);
    assert!(o.status.success(), "{}", text(&o));
    let script = format!(
        r#"set -e
ip link set lo up multicast on
ip route add 224.0.0.0/4 dev lo
"{bin}" serve --db "{db}" --listen 127.0.0.1:18999 --mail-dir "{dir}/mails" --secret-file "{dir}/secret.key" --itxpt-group 239.255.42.1:5001 --itxpt-vehicle bus-itxpt > "{dir}/serve.log" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null || true' EXIT
for i in $(seq 100); do python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:18999/healthz')" 2>/dev/null && break; sleep 0.1; done
python3 - <<'PY'
import socket, time
t = time.gmtime()
xml = ('<?xml version="1.0" encoding="utf-8"?><GNSSLocationDelivery version="2.1.1"><GNSSLocation>'
       '<Latitude><Degree>51.0301</Degree><Direction>N</Direction></Latitude>'
       '<Longitude><Degree>2.2691</Degree><Direction>E</Direction></Longitude>'
       + time.strftime('<Time>%H:%M:%S</Time><Date>%Y-%m-%d</Date>', t) + '</GNSSLocation></GNSSLocationDelivery>')
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 1)
s.sendto(xml.encode(), ('239.255.42.1', 5001))
PY
sleep 1
python3 -c "import urllib.request; print(urllib.request.urlopen('http://127.0.0.1:18999/ecran/bus-itxpt').read().decode())"
"#,
        bin = env!("CARGO_BIN_EXE_dklik"),
        db = db,
        dir = dir.path().display()
    );
    let o = Command::new("unshare")
        .args(["-n", "sh", "-c", &script])
        .output()
        .expect("unshare");
    let out = text(&o);
    let log = std::fs::read_to_string(dir.path().join("serve.log")).unwrap_or_default();
    assert!(
        o.status.success(),
        "{}\n{log}",
        out.chars().take(2000).collect::<String>()
    );
    assert!(
        log.contains("ITxPT : positions GNSSLocation du groupe 239.255.42.1:5001"),
        "{log}"
    );
    assert!(
        out.contains("Mardyck Usine"),
        "the screen of bus-itxpt shows the offers near its stop\n{log}"
    );
}

/// A GTFS-realtime server on loopback: fails once, then serves the vehicle at one place, then
/// near the Mardyck Usine stop, then answers 304 to the ETag it gave. Returns its URL and the
/// If-None-Match values it received.
fn gtfs_rt_source() -> (String, Arc<Mutex<Vec<String>>>) {
    use dklik_transit::realtime::VehicleReport;
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!(
        "http://{}/vehicle-positions.pb",
        listener.local_addr().expect("addr")
    );
    let seen = Arc::new(Mutex::new(Vec::new()));
    let seen2 = seen.clone();
    std::thread::spawn(move || {
        for (n, conn) in listener.incoming().enumerate() {
            let Ok(mut conn) = conn else { continue };
            let mut reader = BufReader::new(conn.try_clone().expect("clone"));
            let mut if_none_match = String::new();
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("if-none-match:") {
                    if_none_match = v.trim().to_string();
                }
            }
            seen2.lock().expect("lock").push(if_none_match.clone());
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .expect("clock")
                .as_secs();
            let report = |lat: f64, lon: f64, at: u64| VehicleReport {
                vehicle: "poll-1".into(),
                trip_id: None,
                route_id: None,
                stop_id: None,
                lat,
                lon,
                timestamp: Some(at as i64),
            };
            let (status, etag, body) = match n {
                0 => ("503 Service Unavailable", "", Vec::new()),
                _ if if_none_match == "\"v2\"" => ("304 Not Modified", "\"v2\"", Vec::new()),
                1 => (
                    "200 OK",
                    "\"v1\"",
                    dklik_transit::realtime::gtfs_rt::encode(
                        &[report(51.0250, 2.2585, now - 30)],
                        now,
                    ),
                ),
                _ => (
                    "200 OK",
                    "\"v2\"",
                    dklik_transit::realtime::gtfs_rt::encode(&[report(51.0301, 2.2691, now)], now),
                ),
            };
            let etag = if etag.is_empty() {
                String::new()
            } else {
                format!("ETag: {etag}\r\n")
            };
            let _ = conn.write_all(
                format!(
                    "HTTP/1.1 {status}\r\n{etag}Content-Type: application/x-protobuf\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                )
                .as_bytes(),
            );
            let _ = conn.write_all(&body);
        }
    });
    (url, seen)
}

#[test]
fn a_gtfs_realtime_url_is_polled_and_reaches_the_screens() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = format!("sqlite://{}", dir.path().join("poll.db").display());
    let o = dklik(&["demo", "--no-serve", "--db", &db]);
    assert!(o.status.success(), "{}", text(&o));
    let (url, seen) = gtfs_rt_source();
    let (_server, base) = serve_on(
        dir.path(),
        &db,
        &["--gtfs-rt-url", &url, "--gtfs-rt-every", "1"],
        std::process::Stdio::null(),
    );
    let shown = (0..150).any(|_| {
        std::thread::sleep(std::time::Duration::from_millis(100));
        http_get(&base, "/ecran/poll-1").1.contains("Mardyck Usine")
    });
    assert!(
        shown,
        "the polled position reached the screen page (requests: {:?})",
        seen.lock().expect("l")
    );
    let sent_etag = (0..50).any(|_| {
        std::thread::sleep(std::time::Duration::from_millis(100));
        seen.lock().expect("l").iter().any(|v| v == "\"v2\"")
    });
    assert!(
        sent_etag,
        "an unchanged feed is asked with its ETag: {:?}",
        seen.lock().expect("l")
    );
    let bad = dklik(&["serve", "--gtfs-rt-every", "0", "--db", &db]);
    assert!(!bad.status.success());
}

/// A SIRI service polled by `serve --siri-vm-url`: it fails first (500, then malformed XML),
/// then delivers a vehicle near the Mardyck Usine stop as SIRI Lite JSON; the screen shows it
/// and the log says the failure once and the return.
#[test]
fn a_siri_vm_service_is_polled_and_reaches_the_screens() {
    use std::io::{BufRead, BufReader, Write};
    let dir = tempfile::tempdir().expect("tmp");
    let db = format!("sqlite://{}", dir.path().join("siri.db").display());
    let o = dklik(&["demo", "--no-serve", "--db", &db]);
    assert!(o.status.success(), "{}", text(&o));
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!(
        "http://{}/siri-lite/vm.json",
        listener.local_addr().expect("addr")
    );
    std::thread::spawn(move || {
        for (n, conn) in listener.incoming().enumerate() {
            let Ok(mut conn) = conn else { continue };
            let mut reader = BufReader::new(conn.try_clone().expect("clone"));
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
            }
            let now = time::OffsetDateTime::now_utc()
                .format(&time::format_description::well_known::Rfc3339)
                .expect("time");
            let (status, body) = match n {
                0 => ("500 Internal Server Error", "erreur".to_string()),
                1 => ("200 OK", "<Siri><ServiceDelivery>".to_string()),
                _ => (
                    "200 OK",
                    format!(
                        r#"{{"Siri":{{"ServiceDelivery":{{"VehicleMonitoringDelivery":[{{"VehicleActivity":[{{"RecordedAtTime":"{now}","MonitoredVehicleJourney":{{"LineRef":"C1","VehicleRef":"siri-1","VehicleLocation":{{"Latitude":51.0301,"Longitude":2.2691}}}}}}]}}]}}}}}}"#
                    ),
                ),
            };
            let _ = conn.write_all(
                format!(
                    "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                )
                .as_bytes(),
            );
        }
    });
    let log_path = dir.path().join("serve.log");
    let log = std::fs::File::create(&log_path).expect("log");
    let (_server, base) = serve_on(
        dir.path(),
        &db,
        &[
            "--siri-vm-url",
            &url,
            "--siri-vm-method",
            "get",
            "--siri-vm-every",
            "1",
        ],
        std::process::Stdio::from(log),
    );
    let shown = (0..150).any(|_| {
        std::thread::sleep(std::time::Duration::from_millis(100));
        http_get(&base, "/ecran/siri-1").1.contains("Mardyck Usine")
    });
    let log = || std::fs::read_to_string(&log_path).unwrap_or_default();
    assert!(shown, "the SIRI vehicle reached its screen\n{}", log());
    let said = (0..30).any(|_| {
        std::thread::sleep(std::time::Duration::from_millis(100));
        log().contains("répond de nouveau")
    });
    let log = log();
    assert!(said, "{log}");
    assert!(log.contains("le serveur répond 500"), "{log}");
    assert_eq!(
        log.matches("nouvel essai").count(),
        1,
        "said once while failing: {log}"
    );
    let bad = dklik(&["serve", "--siri-vm-url", "ftp://x", "--db", &db]);
    assert!(!bad.status.success());
    assert!(text(&bad).contains("http"), "{}", text(&bad));
}

/// Suggestions from sentences keep their quality on the 107-sentence reference set, with the
/// full ROME release (figures in BENCHMARKS.md; this floor catches a regression).
#[test]
fn suggestions_from_sentences_hold_their_quality_on_the_reference_set() {
    let dir = std::env::var("DKLIK_ROME_DIR").unwrap_or_else(|_| {
        panic!("DKLIK_ROME_DIR must name the official ROME 4.0 export (the test command sets it)")
    });
    let gold = fixtures().join("skills/phrases-or.csv");
    let o = dklik(&[
        "bench",
        "suggest",
        "--rome",
        &dir,
        "--gold",
        gold.to_str().expect("path"),
    ]);
    let out = text(&o);
    assert!(o.status.success(), "{out}");
    let figure = |name: &str| -> f64 {
        out.split(&format!("{name} = "))
            .nth(1)
            .and_then(|s| s.split(|c: char| c == ',' || c.is_whitespace()).next())
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("{name} in {out}"))
    };
    assert!(out.starts_with("107 phrases"), "{out}");
    assert!(figure("Recall@5") >= 0.70, "{out}");
    assert!(figure("MRR") >= 0.65, "{out}");
}

/// A raw HTTP/1.1 request; returns the status, the headers and the body.
fn http(
    base: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, String, String) {
    use std::io::{Read, Write};
    let host = base.trim_start_matches("http://");
    let mut s = std::net::TcpStream::connect(host).expect("connect");
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    req.push_str(body);
    s.write_all(req.as_bytes()).expect("write");
    let mut out = String::new();
    s.read_to_string(&mut out).expect("read");
    let (head, body) = out.split_once("\r\n\r\n").unwrap_or((&out, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (status, head.to_string(), body.to_string())
}

#[test]
fn the_report_command_gives_the_dashboards_numbers() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = format!("sqlite://{}", dir.path().join("demo.db").display());
    let o = dklik(&["demo", "--no-serve", "--db", &db]);
    assert!(o.status.success(), "{}", text(&o));
    // Bad input is refused in French, naming the flag.
    let o = dklik(&[
        "report",
        "--db",
        &db,
        "--from",
        "2026-13-01",
        "--to",
        "2026-11-30",
    ]);
    assert!(!o.status.success());
    assert!(
        text(&o).contains("--from : « 2026-13-01 » n'est pas une date"),
        "{}",
        text(&o)
    );
    let o = dklik(&[
        "report",
        "--db",
        &db,
        "--from",
        "2026-05-01",
        "--to",
        "2026-04-01",
    ]);
    assert!(text(&o).contains("avant son début"), "{}", text(&o));
    let o = dklik(&[
        "report",
        "--db",
        &db,
        "--from",
        "2026-05-01",
        "--to",
        "2026-06-01",
        "--key",
        "court",
    ]);
    assert!(
        text(&o).contains("--key : Choisissez une clé"),
        "{}",
        text(&o)
    );
    // The demo's six months, up to today.
    let today = time::OffsetDateTime::now_utc().date();
    let (from, to) = (
        (today - time::Duration::days(200)).to_string(),
        (today + time::Duration::days(1)).to_string(),
    );
    let out = dir.path().join("rapport");
    let o = dklik(&[
        "report",
        "--db",
        &db,
        "--from",
        &from,
        "--to",
        &to,
        "--out",
        out.to_str().expect("p"),
        "--key",
        "clé d'évaluation 2026",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("13 fichiers écrits"), "{}", text(&o));
    let funnel = std::fs::read_to_string(out.join("entonnoir-canal.csv")).expect("funnel");
    assert!(
        funnel.contains(&format!("# période: du {from} au {to} inclus")),
        "{funnel}"
    );
    let total = funnel
        .lines()
        .find(|l| l.starts_with("total,"))
        .expect("total line");
    let hires: u64 = total
        .split(',')
        .nth(8)
        .and_then(|v| v.parse().ok())
        .expect("hires shown");
    assert!(hires >= 5, "the demo history has hires: {total}");
    // The same tables from the web server, signed in as the demo's administrator.
    let (_server, base) = serve_on(dir.path(), &db, &[], std::process::Stdio::null());
    let (status, head, _) = http(
        &base,
        "POST",
        "/connexion",
        &[
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("Origin", &base),
        ],
        "email=admin%40dklik.demo&mot_de_passe=demo-dklik-2026",
    );
    assert_eq!(status, 303, "{head}");
    let cookie = head
        .lines()
        .find_map(|l| {
            l.strip_prefix("set-cookie: ")
                .or_else(|| l.strip_prefix("Set-Cookie: "))
        })
        .and_then(|c| c.split(';').next())
        .expect("a session cookie")
        .to_string();
    let without_time = |s: &str| {
        s.lines()
            .filter(|l| !l.starts_with("# produit le"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    for name in [
        "entonnoir-canal",
        "entonnoir-ligne",
        "entonnoir-quartier",
        "portee",
        "orientation",
    ] {
        let (status, _, body) = http(
            &base,
            "GET",
            &format!("/pilotage/export/{name}.csv?du={from}&au={to}&canal="),
            &[("Cookie", &cookie)],
            "",
        );
        assert_eq!(status, 200, "{name}: {body}");
        let file = std::fs::read_to_string(out.join(format!("{name}.csv"))).expect("file");
        assert_eq!(
            without_time(&body),
            without_time(&file),
            "{name}: web and command line differ"
        );
    }
    // The dashboard shows the same total of hires.
    let (status, _, page) = http(
        &base,
        "GET",
        &format!("/pilotage?du={from}&au={to}"),
        &[("Cookie", &cookie)],
        "",
    );
    assert_eq!(status, 200);
    assert!(
        page.contains(&format!("<th scope=\"row\">Embauches</th><td>{hires}</td>")),
        "{page}"
    );
}

#[test]
fn the_server_logs_one_json_line_per_request_and_no_personal_data() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = format!("sqlite://{}", dir.path().join("demo.db").display());
    let o = dklik(&["demo", "--no-serve", "--db", &db]);
    assert!(o.status.success(), "{}", text(&o));
    let log_path = dir.path().join("server.log");
    let log_file = std::fs::File::create(&log_path).expect("log file");
    let (mut server, base) = serve_on(dir.path(), &db, &["--log-format", "json"], log_file.into());
    let (_, offers) = http_get(&base, "/api/v1/offers");
    let code = offers
        .split("\"code\":\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("an offer code")
        .to_string();
    let form = [
        ("Content-Type", "application/x-www-form-urlencoded"),
        ("Origin", base.as_str()),
    ];
    // Personal data sent in every way a visitor can: forms, a login, an address, a bad body.
    let (status, head, _) = http(
        &base,
        "POST",
        &format!("/offres/{code}/interet"),
        &form,
        "prenom=Zo%C3%A9&telephone=06+98+76+54+32&email=zoe.secret%40exemple.fr&moment=matin&consentement=oui",
    );
    assert_eq!(status, 303, "{head}");
    assert!(head.to_lowercase().contains("x-request-id: "), "{head}");
    http(
        &base,
        "POST",
        "/mon-espace",
        &form,
        "email=zoe.secret%40exemple.fr",
    );
    http(
        &base,
        "POST",
        "/connexion",
        &form,
        "email=zoe.secret%40exemple.fr&mot_de_passe=0698765432",
    );
    http_get(&base, "/offres/zoe.secret@exemple.fr");
    http_get(&base, "/connexion?suite=%2F0698765432");
    http(
        &base,
        "POST",
        &format!("/offres/{code}/interet"),
        &form,
        "telephone=0698765432&telephone=0698765432",
    );
    // The background jobs deliver the code mail meanwhile; then the server stops.
    std::thread::sleep(std::time::Duration::from_millis(300));
    let _ = server.0.kill();
    let _ = server.0.wait();
    let log = std::fs::read_to_string(&log_path).expect("log");
    let requests: Vec<serde_json::Value> = log
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["message"] == "requête")
        .collect();
    assert!(requests.len() >= 7, "{log}");
    let interest = requests
        .iter()
        .find(|v| v["route"] == "/offres/{code}/interet" && v["method"] == "POST")
        .unwrap_or_else(|| panic!("the form's request line: {log}"));
    assert_eq!(interest["status"], 303);
    assert!(interest["ms"].is_number() && interest["id"].as_str().is_some_and(|i| i.len() == 16));
    for l in log.lines() {
        assert!(
            serde_json::from_str::<serde_json::Value>(l).is_ok(),
            "not a JSON line: {l}"
        );
    }
    for secret in ["zoe.secret", "98 76 54 32", "0698765432", "Zoé", "Zo%C3%A9"] {
        assert!(!log.contains(secret), "{secret} in the logs: {log}");
    }
}

/// A server whose output nobody reads any more (a pipe closed by its reader, `| head`) goes on
/// serving: before, its next message stopped it with "failed printing to stdout".
#[test]
fn a_demo_whose_output_is_closed_keeps_serving() {
    use std::io::Read;
    let dir = tempfile::tempdir().expect("tmp");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("port")
        .local_addr()
        .expect("addr")
        .port();
    let db = format!("sqlite://{}", dir.path().join("demo.db").display());
    let mut child = Command::new(env!("CARGO_BIN_EXE_dklik"))
        .args([
            "demo",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--db",
            &db,
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("demo");
    let mut out = child.stdout.take().expect("stdout");
    let mut first = [0u8; 4];
    out.read_exact(&mut first)
        .expect("the demo writes something");
    drop(out);
    let base = format!("http://127.0.0.1:{port}");
    let up = (0..300).any(|_| {
        std::thread::sleep(std::time::Duration::from_millis(100));
        http_get(&base, "/healthz").0 == 200
    });
    let still = child.try_wait().expect("wait").is_none();
    let _ = child.kill();
    let _ = child.wait();
    assert!(up && still, "answered {up}, still running {still}");
}

/// France Travail's synchronisation needs both credentials and real INSEE codes: said before
/// the server starts.
#[test]
fn france_travail_settings_are_checked_at_start() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = format!("sqlite://{}", dir.path().join("ft.db").display());
    let o = dklik(&[
        "serve",
        "--db",
        &db,
        "--listen",
        "127.0.0.1:0",
        "--france-travail-client-id",
        "dklik",
    ]);
    assert!(!o.status.success());
    assert!(
        text(&o).contains("donnez l'identifiant et le secret"),
        "{}",
        text(&o)
    );
    let o = dklik(&[
        "serve",
        "--db",
        &db,
        "--listen",
        "127.0.0.1:0",
        "--france-travail-client-id",
        "dklik",
        "--france-travail-secret",
        "s",
        "--france-travail-communes",
        "59183,Dunkerque",
    ]);
    assert!(!o.status.success());
    assert!(text(&o).contains("« Dunkerque »"), "{}", text(&o));
}

/// Each wrong text-message setting stops the server at start with a sentence that names it.
#[test]
fn sms_settings_are_checked_at_start() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = format!("sqlite://{}", dir.path().join("sms.db").display());
    for (args, said) in [
        (vec!["--sms-providers", "brevo"], "sa clé manque"),
        (
            vec!["--sms-providers", "twilio", "--twilio-account-sid", "AC1"],
            "son jeton manque",
        ),
        (
            vec!["--sms-providers", "brevo,orange", "--brevo-api-key", "k"],
            "« orange » n'est pas un fournisseur connu",
        ),
        (
            vec![
                "--sms-providers",
                "brevo",
                "--brevo-api-key",
                "k",
                "--sms-sender",
                "Dunkerque Emploi",
            ],
            "de 3 à 11 caractères",
        ),
        (
            vec![
                "--sms-providers",
                "brevo",
                "--brevo-api-key",
                "k",
                "--sms-receipts-secret",
                "court",
            ],
            "16 caractères au moins",
        ),
        (
            vec![
                "--sms-providers",
                "brevo",
                "--brevo-api-key",
                "k",
                "--sms-prices",
                "brevo=beaucoup",
            ],
            "n'est pas un prix",
        ),
        (
            vec![
                "--sms-providers",
                "brevo",
                "--brevo-api-key",
                "k",
                "--brevo-url",
                "ftp://x",
            ],
            "doit commencer par https://",
        ),
        (
            vec!["--sms-number", "03 28 00 00 00"],
            "n'est pas un numéro qui reçoit des SMS",
        ),
    ] {
        let mut all = vec!["serve", "--db", &db, "--listen", "127.0.0.1:0"];
        all.extend(args.iter().copied());
        let o = dklik(&all);
        assert!(!o.status.success(), "{args:?}");
        assert!(text(&o).contains(said), "{args:?}: {}", text(&o));
    }
}

/// The territory's places file imports (twice: known places are updated), a bad one is refused.
#[test]
fn the_territory_places_import_and_a_bad_file_is_refused() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = format!("sqlite://{}", dir.path().join("p.db").display());
    let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../territoire/lieux-dunkerque.csv");
    let file = file.to_str().expect("path");
    let first = dklik(&["import", "places", file, "--db", &db]);
    assert!(first.status.success(), "{}", text(&first));
    let n: usize = text(&first)
        .split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .expect("a count");
    assert!(n >= 15, "{}", text(&first));
    let again = dklik(&["import", "places", file, "--db", &db]);
    assert!(again.status.success());
    let bad = dir.path().join("bad.csv");
    std::fs::write(
        &bad,
        "nom;commune;code_insee;qpv;latitude;longitude\nX;Y;123;non;51;2\n",
    )
    .expect("write");
    let refused = dklik(&["import", "places", bad.to_str().expect("path"), "--db", &db]);
    assert!(!refused.status.success());
    assert!(text(&refused).contains("ligne 2"), "{}", text(&refused));
}

/// The server runs with two malloc arenas: the binary starts itself again with
/// `MALLOC_ARENA_MAX` when it is not set, so that its memory stays flat across offer imports
/// (BENCHMARKS.md, "Memory after imports").
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[test]
fn the_server_starts_again_with_two_malloc_arenas() {
    let (dir, db) = temp_db();
    assert!(dklik(&["migrate", "--db", &db]).status.success());
    let mut server = Command::new(env!("CARGO_BIN_EXE_dklik"))
        .env_remove("MALLOC_ARENA_MAX")
        .env_remove("GLIBC_TUNABLES")
        .env("DKLIK_SECRET_FILE", dir.path().join("secret.key"))
        .args([
            "serve",
            "--db",
            &db,
            "--listen",
            "127.0.0.1:0",
            "--mail-dir",
            dir.path().to_str().expect("path"),
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("serve");
    let environ = format!("/proc/{}/environ", server.id());
    let mut set = false;
    for _ in 0..200 {
        let env = std::fs::read(&environ).unwrap_or_default();
        if env.split(|b| *b == 0).any(|v| v == b"MALLOC_ARENA_MAX=2") {
            set = true;
            break;
        }
        if let Ok(Some(status)) = server.try_wait() {
            panic!("the server stopped: {status}");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let still = server.try_wait().expect("wait").is_none();
    let _ = server.kill();
    let _ = server.wait();
    assert!(set, "the same process runs with MALLOC_ARENA_MAX=2");
    assert!(still, "and serves");
}
