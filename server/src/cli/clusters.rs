//! `zenith clusters`: the environments the server fronts.

use zenith_proto::to_json;
use zenith_proto::v1::ListClustersRequest;
use zenith_proto::v1::admin_service_client::AdminServiceClient;

use super::output::Table;
use super::{ClientArgs, ops::print_json, transport};

pub async fn list(args: &ClientArgs) -> anyhow::Result<()> {
    let response = AdminServiceClient::new(transport(args).await?)
        .list_clusters(ListClustersRequest {})
        .await?
        .into_inner();
    if args.json {
        return print_json(to_json(&response), Some("clusters"));
    }
    let mut table = Table::new(&["CLUSTER", "DEFAULT", "REDIS", "DATABASE", "REACHABLE"]);
    for cluster in &response.clusters {
        table.row(vec![
            cluster.name.clone(),
            if cluster.default { "yes" } else { "" }.to_owned(),
            cluster.redis_address.clone(),
            cluster.database.clone(),
            if cluster.reachable { "yes" } else { "no" }.to_owned(),
        ]);
    }
    print!("{}", table.render());
    Ok(())
}
