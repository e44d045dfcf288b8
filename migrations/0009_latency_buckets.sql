-- Real latency histograms for /metrics (`vigil_probe_latency_ms`): per check and hour, the exact
-- sum of the latencies and, for each fixed bound (LATENCY_BOUNDS_MS in src/engine/rollup.ts),
-- how many observations took at most that long. Cumulative like Prometheus buckets
-- (latency_le_100 includes latency_le_50); `count` is the +Inf bucket. Written by the hourly
-- rollup from raw results. NULL on hours rolled up before this migration: /metrics leaves those
-- hours out rather than estimating them.
ALTER TABLE rollups_hourly ADD COLUMN latency_sum INTEGER;
ALTER TABLE rollups_hourly ADD COLUMN latency_le_50 INTEGER;
ALTER TABLE rollups_hourly ADD COLUMN latency_le_100 INTEGER;
ALTER TABLE rollups_hourly ADD COLUMN latency_le_250 INTEGER;
ALTER TABLE rollups_hourly ADD COLUMN latency_le_500 INTEGER;
ALTER TABLE rollups_hourly ADD COLUMN latency_le_1000 INTEGER;
ALTER TABLE rollups_hourly ADD COLUMN latency_le_2500 INTEGER;
ALTER TABLE rollups_hourly ADD COLUMN latency_le_5000 INTEGER;
ALTER TABLE rollups_hourly ADD COLUMN latency_le_10000 INTEGER;
