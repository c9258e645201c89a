"""The web app's routers."""
