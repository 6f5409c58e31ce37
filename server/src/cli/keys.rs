//! `zenith keys`: API keys made, listed and revoked straight in the database, so the first admin
//! key can exist before anyone can call the server (and with no server running at all).

use std::time::{Duration, SystemTime};

use clap::{Args, Subcommand, ValueEnum};
use zenith_proto::v1::{ListApiKeysResponse, Role};
use zenith_server::auth::keys::NewKey;
use zenith_server::auth::middleware::{now_ms, role_name};
use zenith_server::auth::store::AuthStore;
use zenith_server::db::Database;

use super::ClientArgs;
use super::output::{Table, relative_timestamp};

#[derive(Args, Debug)]
pub struct KeysArgs {
    /// The server's SQL database, as `zenith serve` is given it.
    #[arg(
        long,
        global = true,
        env = "ZENITH_DATABASE_URL",
        default_value = "sqlite://zenith.db"
    )]
    database_url: String,
    #[command(subcommand)]
    command: KeysCommand,
}

#[derive(Subcommand, Debug)]
enum KeysCommand {
    /// Makes a key and prints its token once: the server keeps only a hash.
    Create(Box<CreateArgs>),
    /// Lists keys (never their secrets).
    List {
        /// Include revoked keys.
        #[arg(long)]
        all: bool,
    },
    /// Revokes a key by id; every replica refuses it within seconds.
    Revoke {
        /// The key's id: the `<id>` of `zk_<id>_<secret>`.
        id: String,
    },
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum RoleArg {
    Viewer,
    Operator,
    Admin,
    Worker,
}

impl From<RoleArg> for Role {
    fn from(role: RoleArg) -> Self {
        match role {
            RoleArg::Viewer => Role::Viewer,
            RoleArg::Operator => Role::Operator,
            RoleArg::Admin => Role::Admin,
            RoleArg::Worker => Role::Worker,
        }
    }
}

#[derive(Args, Debug)]
struct CreateArgs {
    #[arg(long, value_enum)]
    role: RoleArg,
    /// What the key is for [default: the role].
    #[arg(long)]
    name: Option<String>,
    /// Limit the key to these queues (comma-separated).
    #[arg(long, value_delimiter = ',')]
    queues: Vec<String>,
    /// Limit the key to queues whose names start with this.
    #[arg(long, default_value = "")]
    queue_prefix: String,
    /// Hide job payloads and results from this key.
    #[arg(long)]
    no_payloads: bool,
    /// Calls per second the key may make on each replica [default: unlimited].
    #[arg(long, default_value_t = 0)]
    requests_per_second: i32,
    /// Lifetime, e.g. 90d; the key never expires without it.
    #[arg(long, value_parser = super::parse_duration)]
    ttl: Option<Duration>,
}

pub async fn run(client: &ClientArgs, args: KeysArgs) -> anyhow::Result<()> {
    let database = Database::connect(&args.database_url).await?;
    let store = AuthStore::new(&database);
    let result = match args.command {
        KeysCommand::Create(create) => create_key(client, &store, *create).await,
        KeysCommand::List { all } => list(client, &store, all).await,
        KeysCommand::Revoke { id } => revoke(client, &store, &id).await,
    };
    database.close().await;
    result
}

async fn create_key(
    client: &ClientArgs,
    store: &AuthStore,
    args: CreateArgs,
) -> anyhow::Result<()> {
    let role = Role::from(args.role);
    let new_key = NewKey {
        name: args.name.unwrap_or_else(|| role_name(role).to_owned()),
        role,
        queues: args.queues,
        queue_prefix: args.queue_prefix,
        payloads: !args.no_payloads,
        requests_per_second: args.requests_per_second,
        ttl: args.ttl,
    };
    let (key, token) = new_key
        .create(None, store, &format!("cli:{}", super::actor()), now_ms())
        .await?;
    if client.json {
        let mut json = zenith_proto::to_json(&key.to_proto());
        json["token"] = serde_json::Value::String(token.reveal());
        println!("{}", serde_json::to_string_pretty(&json)?);
    } else {
        println!("{}", token.reveal());
        eprintln!(
            "created {} key {} ({}); the token above is shown only once",
            role_name(role),
            key.id,
            key.name
        );
    }
    Ok(())
}

async fn list(client: &ClientArgs, store: &AuthStore, all: bool) -> anyhow::Result<()> {
    let keys: Vec<_> = store
        .all_keys()
        .await?
        .into_iter()
        .filter(|key| all || key.revoked_at_ms.is_none())
        .map(|key| key.to_proto())
        .collect();
    if client.json {
        let response = ListApiKeysResponse {
            keys,
            next_page_token: String::new(),
        };
        return super::ops::print_json(zenith_proto::to_json(&response), Some("keys"));
    }
    let now = SystemTime::now();
    let mut table = Table::new(&[
        "ID", "NAME", "ROLE", "QUEUES", "PAYLOADS", "CREATED", "STATE",
    ]);
    for key in &keys {
        let mut queues = key.queues.join(",");
        if !key.queue_prefix.is_empty() {
            if !queues.is_empty() {
                queues.push(',');
            }
            queues.push_str(&format!("{}*", key.queue_prefix));
        }
        let state = if key.revoked_at.is_some() {
            format!(
                "revoked {}",
                relative_timestamp(key.revoked_at.as_ref(), now)
            )
        } else if key.expires_at.is_some() {
            format!(
                "expires {}",
                relative_timestamp(key.expires_at.as_ref(), now)
            )
        } else {
            "active".to_owned()
        };
        table.row(vec![
            key.id.clone(),
            key.name.clone(),
            role_name(Role::try_from(key.role).unwrap_or(Role::Unspecified)).to_owned(),
            if queues.is_empty() {
                "all".into()
            } else {
                queues
            },
            if key.payloads { "yes" } else { "hidden" }.to_owned(),
            relative_timestamp(key.created_at.as_ref(), now),
            state,
        ]);
    }
    print!("{}", table.render());
    Ok(())
}

async fn revoke(client: &ClientArgs, store: &AuthStore, id: &str) -> anyhow::Result<()> {
    let key = store
        .revoke_key(id, now_ms())
        .await?
        .ok_or_else(|| anyhow::anyhow!("api key {id} not found"))?;
    if client.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&zenith_proto::to_json(&key.to_proto()))?
        );
    } else {
        println!("revoked {} ({})", key.id, key.name);
    }
    Ok(())
}
