//! `airgapctl cost refresh-prices` against LocalStack: the emulator answers GetProducts
//! from its fixture (localstack/airgap_ext/pricing_products.json: eu-central-1 products at
//! the shipped snapshot's figures, and decoys), so a refresh must write exactly the shipped
//! figures, and `cost` must read the file it wrote.

use airgap_cost::Prices;
use airgap_testkit::cli::Cli;
use airgap_testkit::LocalStack;

const BIN: &str = env!("CARGO_BIN_EXE_airgapctl");

#[tokio::test(flavor = "multi_thread")]
async fn refresh_prices_writes_a_snapshot_cost_reads() {
    let ls = LocalStack::connect().await.expect("LocalStack");
    let cli = Cli::new(BIN, "pricing", ls.endpoint());
    let r = cli
        .run_async(&["cost", "refresh-prices", "--region", "eu-central-1", "--out", "p.json"])
        .await
        .expect(0, "refresh-prices");
    assert!(
        r.stdout.contains("Wrote the prices of eu-central-1 (7 instance types) to p.json"),
        "{}",
        r.stdout
    );
    let refreshed = Prices::from_file(&cli.dir().join("p.json"), "eu-central-1").unwrap();
    let shipped = Prices::shipped("eu-central-1").unwrap();
    // The decoys (another region, GWLB endpoints, VPN attachments, idle addresses, extended
    // support, Windows and dedicated instances) were not taken.
    assert_eq!(refreshed.scalars(), shipped.scalars());
    assert_eq!(refreshed.instance_hour, shipped.instance_hour);
    assert!(
        refreshed.source.starts_with("AWS Price List Query API (pricing:GetProducts"),
        "{}",
        refreshed.source
    );
    assert_eq!(refreshed.as_of.len(), 10, "a date: {}", refreshed.as_of);

    let plan = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../plans/hub-spoke.yaml");
    let r = cli
        .run_async(&["cost", "-f", plan.to_str().unwrap(), "--prices", "p.json"])
        .await
        .expect(0, "cost");
    assert!(r.stdout.contains("Prices: AWS Price List Query API"), "{}", r.stdout);
    assert!(r.stdout.contains("$1,782.60"), "{}", r.stdout);

    // An instance type the price list does not have fails the refresh and says which.
    let r = cli
        .run_async(&[
            "cost",
            "refresh-prices",
            "--region",
            "eu-central-1",
            "--instance-type",
            "x9.huge",
            "--out",
            "q.json",
        ])
        .await
        .expect(1, "refresh-prices");
    assert!(
        r.stderr.contains("instanceHour.x9.huge: the price list has no product"),
        "{}",
        r.stderr
    );
    assert!(!cli.dir().join("q.json").exists());
    // The API answers in three regions only.
    let r = cli
        .run_async(&[
            "cost",
            "refresh-prices",
            "--region",
            "eu-central-1",
            "--api-region",
            "eu-west-1",
        ])
        .await
        .expect(3, "refresh-prices");
    assert!(
        r.stderr.contains("answers in us-east-1, eu-central-1 and ap-south-1, not eu-west-1"),
        "{}",
        r.stderr
    );
}
