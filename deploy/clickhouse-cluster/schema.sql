CREATE DATABASE IF NOT EXISTS mallard ON CLUSTER mallard;

CREATE TABLE IF NOT EXISTS mallard.events_local ON CLUSTER mallard (
  site_id LowCardinality(String),
  visitor_id UInt64,
  session_id UInt64,
  user_key Nullable(UInt64),
  timestamp DateTime64(3, 'UTC'),
  event_name LowCardinality(String),
  pathname String,
  hostname String,
  referrer Nullable(String),
  referrer_source Nullable(String),
  channel String,
  utm_source Nullable(String),
  utm_medium Nullable(String),
  utm_campaign Nullable(String),
  utm_content Nullable(String),
  utm_term Nullable(String),
  browser Nullable(String),
  browser_version Nullable(String),
  os Nullable(String),
  os_version Nullable(String),
  device_type Nullable(String),
  screen_width Nullable(Int32),
  country_code Nullable(String),
  region Nullable(String),
  city Nullable(String),
  props Nullable(String),
  revenue_amount Nullable(Decimal(18, 4)),
  revenue_currency Nullable(String),
  seq UInt64,
  engaged_ms Nullable(Int32),
  scroll_depth Nullable(Int32),
  region_code Nullable(String),
  city_geoname_id Nullable(String),
  node_id String,
  PROJECTION day_counts (SELECT site_id, toDate(timestamp), count() GROUP BY site_id, toDate(timestamp))
) ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/mallard/events_local', '{replica}')
PARTITION BY toYYYYMM(timestamp)
ORDER BY (site_id, toDate(timestamp), visitor_id, timestamp, seq)
SETTINGS replicated_deduplication_window = 10000;

CREATE TABLE IF NOT EXISTS mallard.events ON CLUSTER mallard AS mallard.events_local
ENGINE = Distributed(mallard, mallard, events_local, cityHash64(site_id, coalesce(user_key, visitor_id)));

CREATE TABLE IF NOT EXISTS mallard.schema_migrations ON CLUSTER mallard
  (version UInt32, applied_at DateTime DEFAULT now())
ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/mallard/schema_migrations', '{replica}') ORDER BY version;

CREATE TABLE IF NOT EXISTS mallard.rollups ON CLUSTER mallard (
  site_id LowCardinality(String),
  day Date,
  build_id UInt64,
  dim LowCardinality(String),
  bucket DateTime('UTC'),
  v0 Nullable(String),
  v1 Nullable(String),
  visitors Int64,
  visits Int64,
  pageviews Int64,
  events Int64,
  bounces Int64,
  duration_ms Int64
) ENGINE = ReplicatedMergeTree('/clickhouse/tables/all/mallard/rollups', '{shard}_{replica}')
PARTITION BY toYYYYMM(day)
ORDER BY (site_id, day, build_id, dim);

CREATE TABLE IF NOT EXISTS mallard.derived_builds ON CLUSTER mallard (
  site_id String,
  day Date,
  format UInt32,
  build_id UInt64,
  events UInt64,
  built_at DateTime64(3, 'UTC')
) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/all/mallard/derived_builds', '{shard}_{replica}', built_at)
ORDER BY (site_id, day, format);

CREATE TABLE IF NOT EXISTS mallard.visits ON CLUSTER mallard (
  site_id LowCardinality(String),
  day Date,
  build_id UInt64,
  session_id UInt64,
  s_events UInt64,
  s_pageviews UInt64,
  s_duration_ms Int64,
  s_start DateTime64(3, 'UTC'),
  s_visitor UInt64,
  s_user Nullable(UInt64),
  s_visitors Array(UInt64),
  v_source String,
  v_referrer String,
  v_channel String,
  v_utm_source String,
  v_utm_medium String,
  v_utm_campaign String,
  v_utm_content String,
  v_utm_term String,
  v_browser String,
  v_browser_version String,
  v_os String,
  v_os_version String,
  v_device String,
  v_screen String,
  v_country String,
  v_region String,
  v_city String,
  v_region_code String,
  v_city_geoname_id String,
  v_entry_page String,
  v_exit_page String,
  v_entry_hostname String,
  v_exit_hostname String,
  s_pages Array(Tuple(p String, pv Int64, ev Int64, v UInt64, vs Array(UInt64))),
  s_path Array(String)
) ENGINE = ReplicatedMergeTree('/clickhouse/tables/all/mallard/visits', '{shard}_{replica}')
PARTITION BY toYYYYMM(day)
ORDER BY (site_id, day, build_id);

INSERT INTO mallard.schema_migrations (version) VALUES (1), (2), (3), (4), (5), (6), (7), (8);
