"""Alert delivery: webhooks, Slack-compatible webhooks and Alertmanager."""
