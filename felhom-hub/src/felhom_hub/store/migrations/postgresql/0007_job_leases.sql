-- Who runs each background job (issue 16, several replicas): the holder (a process id,
-- hostname:pid:random) until expires_at (epoch milliseconds). Taken and renewed before each
-- tick with a compare-and-set (store/leases.py), so one hub process runs a job at a time.
CREATE TABLE job_leases (
    job        TEXT COLLATE "C" PRIMARY KEY,
    holder     TEXT COLLATE "C" NOT NULL,
    expires_at BIGINT NOT NULL
);
