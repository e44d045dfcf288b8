-- Mean time to the response headers per check and hour (http probes), ms; NULL for other
-- kinds and for hours rolled up before this column existed. Shown on the check page.
ALTER TABLE rollups_hourly ADD COLUMN first_byte_avg REAL;
