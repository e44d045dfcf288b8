-- When each probe monitor's last run executed (issue #21: a monitor whose planned runs stop is
-- unknown, not its last measured state). Written once per executed batch, in the batch's
-- raw-results write (never a write per observation); NULL until the first batch after this
-- migration, and for checks that are not probe monitors. The status_version trigger ignores it:
-- a run that changes nothing the page shows does not move the page's version.
ALTER TABLE check_state ADD COLUMN last_run INTEGER;
