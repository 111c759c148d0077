"""Durable background work: one job queue for every job that must survive a crash.

- `queue.py`: the queue's storage, the `jobs` table (saq's `Queue` for our database).
- `runner.py`: `Jobs`, made once per process by `Services`: enqueues, and runs saq's worker.
- `periodic.py`: every task that runs on a schedule, and how each runs on N processes.

Domain actions enqueue through their transaction (`tx.enqueue`): the job row is written in
the same transaction, so a job exists if and only if what asked for it committed.
"""
