"""The application around the store: pipeline, web app, command line."""
