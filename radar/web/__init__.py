"""The web app: one-click unsubscribe and the SendGrid event webhook (more comes with the dashboard)."""
