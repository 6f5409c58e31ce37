//! The PostgreSQL the other suites rely on: it starts, answers, stops and starts again.

use zenith_testkit::PostgresServer;

#[test]
fn postgres_starts_answers_and_restarts() {
    let mut pg = PostgresServer::start().unwrap();
    let url = pg.create_database("probe").unwrap();
    assert!(url.ends_with("/probe"));
    assert_eq!(pg.psql("probe", "SELECT 40 + 2").unwrap(), "42");
    pg.stop();
    assert!(pg.psql("probe", "SELECT 1").is_err());
    pg.start_again().unwrap();
    assert_eq!(pg.psql("probe", "SELECT 1").unwrap(), "1");
}
