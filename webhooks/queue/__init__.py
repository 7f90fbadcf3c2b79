"""The service's job execution: worker threads over the durable queue, RQ hand-off.

The queue itself (events, jobs, leases) is `sync.audit.jobs`.
"""
