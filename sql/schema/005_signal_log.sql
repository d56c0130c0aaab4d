-- A signal is known by its id: the same input gives the same id however it
-- is batched, and every `detect` run records what it found. The rows go to
-- signal_log; the view signals shows each signal once (the row of a
-- stateful run when there is one, else the first detect run's).
ALTER TABLE signals RENAME TO signal_log;

CREATE OR REPLACE VIEW signals AS
SELECT * EXCLUDE (row_in_id)
FROM (
    SELECT *, row_number() OVER (PARTITION BY signal_id ORDER BY stateful DESC, run_id) AS row_in_id
    FROM signal_log
)
WHERE row_in_id = 1;
