"""Live webhooks from alerting and paging tools into incident timelines."""
