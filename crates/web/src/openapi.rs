//! The OpenAPI 3.1 document of `/api/v1`, built from the routes and the Rust types they read and
//! answer.
//!
//! Each `/api/` route carries an [`Op`] (`get(…).doc(Op::new(…).query::<OfferQuery>()
//! .answer::<OffersPage>(200, "…"))`): its request and answer types, whose JSON Schemas are
//! derived (`schemars::JsonSchema`) from the same structs serde reads and writes. The refusals
//! every route can give follow from its declaration: 401 and 403 from who may call it, 400, 413,
//! 415 and 422 from a body, 400 from query parameters, 404 from a path parameter. The
//! schemathesis run of the test command checks the server against this document.

use crate::access::Who;
use crate::routes::Route;
use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::Serialize;
use serde_json::{json, Map, Value};

/// A schema, made by a generator (a `fn` so that an [`Op`] stays plain data).
type SchemaFn = fn(&mut SchemaGenerator) -> Schema;

fn schema_of<T: JsonSchema>(g: &mut SchemaGenerator) -> Schema {
    g.subschema_for::<T>()
}

/// The body of every error the API answers: `{"error": "…"}`, in French.
#[derive(Serialize, JsonSchema)]
pub struct ErrorBody {
    /// What went wrong, said so that the sender can fix it.
    pub error: String,
}

enum Param {
    /// Every field of a struct, as query parameters.
    Query(SchemaFn),
    /// One path segment.
    Path {
        name: &'static str,
        description: &'static str,
        schema: SchemaFn,
    },
}

struct Answer {
    status: u16,
    description: &'static str,
    /// Media types and their schema (none: not described).
    content: Vec<(&'static str, Option<SchemaFn>)>,
}

/// What an `/api/` operation reads and answers.
pub struct Op {
    id: &'static str,
    summary: &'static str,
    description: Option<&'static str>,
    params: Vec<Param>,
    body: Option<(&'static str, Option<SchemaFn>)>,
    answers: Vec<Answer>,
}

impl Op {
    /// An operation, by its id and a one-line summary.
    pub fn new(id: &'static str, summary: &'static str) -> Self {
        Op {
            id,
            summary,
            description: None,
            params: Vec::new(),
            body: None,
            answers: Vec::new(),
        }
    }

    /// A longer description.
    pub fn describe(mut self, text: &'static str) -> Self {
        self.description = Some(text);
        self
    }

    /// Its query parameters: the fields of `T`.
    pub fn query<T: JsonSchema>(mut self) -> Self {
        self.params.push(Param::Query(schema_of::<T>));
        self
    }

    /// A path segment `{name}`, read as `T`.
    pub fn path<T: JsonSchema>(mut self, name: &'static str, description: &'static str) -> Self {
        self.params.push(Param::Path {
            name,
            description,
            schema: schema_of::<T>,
        });
        self
    }

    /// A JSON body read as `T`.
    pub fn json_body<T: JsonSchema>(mut self) -> Self {
        self.body = Some(("application/json", Some(schema_of::<T>)));
        self
    }

    /// A body in another format (its decoder checks it).
    pub fn body_media(mut self, media: &'static str) -> Self {
        self.body = Some((media, None));
        self
    }

    /// A JSON answer of type `T`.
    pub fn answer<T: JsonSchema>(mut self, status: u16, description: &'static str) -> Self {
        self.answers.push(Answer {
            status,
            description,
            content: vec![("application/json", Some(schema_of::<T>))],
        });
        self
    }

    /// An answer in other formats, not described further.
    pub fn answer_media(
        mut self,
        status: u16,
        description: &'static str,
        media: &[&'static str],
    ) -> Self {
        self.answers.push(Answer {
            status,
            description,
            content: media.iter().map(|m| (*m, None)).collect(),
        });
        self
    }

    /// Another format of the last answer (not described further).
    pub fn or_media(mut self, media: &'static str) -> Self {
        if let Some(a) = self.answers.last_mut() {
            a.content.push((media, None));
        }
        self
    }
}

/// Both directions of JSON: what the server reads (serde's `Deserialize`) and what it writes.
struct Generators {
    read: SchemaGenerator,
    write: SchemaGenerator,
}

fn generator(read: bool) -> SchemaGenerator {
    let s = schemars::generate::SchemaSettings::draft2020_12().with(|s| {
        s.definitions_path = "#/components/schemas/".into();
        s.meta_schema = None;
    });
    if read {
        s.for_deserialize().into_generator()
    } else {
        s.for_serialize().into_generator()
    }
}

fn to_value(s: Schema) -> Value {
    s.to_value()
}

fn operation(route: &Route, op: &Op, g: &mut Generators) -> Value {
    let mut o = Map::new();
    o.insert("operationId".into(), json!(op.id));
    o.insert("summary".into(), json!(op.summary));
    if let Some(d) = op.description {
        o.insert("description".into(), json!(d));
    }
    let mut params = Vec::new();
    for p in &op.params {
        match p {
            Param::Query(f) => {
                // The struct's schema is a reference: its fields are in the definitions.
                let schema = to_value(f(&mut g.read));
                let inline = resolve(&schema, &g.read);
                let required: Vec<&str> = inline["required"]
                    .as_array()
                    .map(|r| r.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default();
                if let Some(props) = inline["properties"].as_object() {
                    for (name, s) in props {
                        let mut s = s.clone();
                        let description = s.as_object_mut().and_then(|m| m.remove("description"));
                        let mut p = json!({"name": name, "in": "query", "schema": s,
                            "required": required.contains(&name.as_str())});
                        if let Some(d) = description {
                            p["description"] = d;
                        }
                        params.push(p);
                    }
                }
            }
            Param::Path {
                name,
                description,
                schema,
            } => params.push(json!({"name": name, "in": "path", "required": true,
                "description": description, "schema": to_value(schema(&mut g.read))})),
        }
    }
    if !params.is_empty() {
        o.insert("parameters".into(), Value::Array(params));
    }
    if let Some((media, schema)) = &op.body {
        let s = schema
            .map(|f| to_value(f(&mut g.read)))
            .unwrap_or(json!({}));
        o.insert(
            "requestBody".into(),
            json!({"required": true, "content": {*media: {"schema": s}}}),
        );
    }
    let mut answers = Map::new();
    for a in &op.answers {
        let mut content = Map::new();
        for (media, schema) in &a.content {
            let s = schema.map(|f| to_value(f(&mut g.write)));
            content.insert(
                (*media).into(),
                s.map_or_else(|| json!({}), |s| json!({ "schema": s })),
            );
        }
        answers.insert(
            a.status.to_string(),
            json!({"description": a.description, "content": content}),
        );
    }
    add_refusals(route, op, &mut answers, &mut g.write);
    o.insert("responses".into(), Value::Object(answers));
    if let Who::Roles(roles) = &route.who {
        let schemes: Vec<Value> = roles.iter().filter_map(|r| scheme_of(*r)).collect();
        o.insert("security".into(), Value::Array(schemes));
    }
    Value::Object(o)
}

/// The security scheme a role's callers use on the API.
fn scheme_of(role: dklik_domain::Role) -> Option<Value> {
    use dklik_domain::Role;
    match role {
        Role::Feed => Some(json!({"feedToken": []})),
        Role::Screen => Some(json!({"screenToken": []})),
        Role::Admin => Some(json!({"adminSession": []})),
        // No API route takes these roles' sessions.
        Role::Advisor | Role::MobileTeam | Role::Employer | Role::Person => None,
    }
}

/// The refusals a route can give by its declaration.
fn add_refusals(route: &Route, op: &Op, answers: &mut Map<String, Value>, g: &mut SchemaGenerator) {
    let error = to_value(g.subschema_for::<ErrorBody>());
    let mut add = |code: u16, d: &str| {
        answers.entry(code.to_string()).or_insert_with(
            || json!({"description": d, "content": {"application/json": {"schema": error.clone()}}}),
        );
    };
    if matches!(route.who, Who::Roles(_)) {
        add(401, "Jeton (ou session) manquant, inconnu ou révoqué");
        add(403, "Ce jeton n'a pas accès à cette adresse");
    }
    if op.body.is_some() {
        add(400, "Corps illisible");
        add(413, "Corps trop gros");
        add(415, "Type de contenu non pris en charge");
        add(422, "Corps lisible mais invalide (chaque problème est dit)");
    }
    if op.params.iter().any(|p| matches!(p, Param::Query(_))) {
        add(400, "Paramètre invalide (chaque problème est dit)");
    }
    if op.params.iter().any(|p| matches!(p, Param::Path { .. })) {
        add(404, "Introuvable");
    }
    // Any operation during a database outage (see `error::AppError::Unavailable`).
    answers.entry("503").or_insert_with(|| {
        json!({
            "description": "Service momentanément indisponible (base de données injoignable) : réessayer après Retry-After secondes",
            "headers": {"Retry-After": {"description": "Secondes à attendre", "schema": {"type": "integer", "minimum": 1}}},
            "content": {"application/json": {"schema": error.clone()}}
        })
    });
}

/// A schema with its top reference followed.
fn resolve(schema: &Value, g: &SchemaGenerator) -> Value {
    match schema["$ref"].as_str() {
        Some(r) => {
            let name = r.rsplit('/').next().unwrap_or_default();
            g.definitions().get(name).cloned().unwrap_or(Value::Null)
        }
        None => schema.clone(),
    }
}

/// The document, from every route that carries an [`Op`].
pub fn document(routes: &[Route]) -> Value {
    let mut g = Generators {
        read: generator(true),
        write: generator(false),
    };
    let mut paths = Map::new();
    for route in routes {
        let Some(op) = &route.doc else { continue };
        let item = operation(route, op, &mut g);
        paths
            .entry(route.path.to_string())
            .or_insert_with(|| json!({}))
            .as_object_mut()
            .map(|m| m.insert(route.method.to_ascii_lowercase(), item));
    }
    let mut schemas = g.write.take_definitions(true);
    // A type both read and written is described once: it must read as it writes (the
    // document's test checks that none is listed here).
    let mut differ = Vec::new();
    for (name, s) in g.read.take_definitions(true) {
        match schemas.get(&name) {
            Some(w) if *w != s => differ.push(json!(name)),
            Some(_) => {}
            None => {
                schemas.insert(name, s);
            }
        }
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "DKLIK API",
            "version": "1",
            "description": "Offres d'emploi publiées et entreprises du programme DKLIK ; positions \
                des véhicules et preuves de diffusion envoyées par les exploitants."
        },
        "paths": paths,
        "x-read-and-written-differently": differ,
        "components": {
            "securitySchemes": {
                "feedToken": {"type": "http", "scheme": "bearer", "description": "Jeton d'un flux de positions (dk_…), créé par un administrateur"},
                "screenToken": {"type": "http", "scheme": "bearer", "description": "Jeton d'un écran (dk_…)"},
                "adminSession": {"type": "apiKey", "in": "cookie", "name": "dklik_session", "description": "Session d'un administrateur connecté"}
            },
            "schemas": schemas,
        }
    })
}
