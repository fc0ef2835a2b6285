"""The web app: Jinja2 pages with htmx, thin views over the services."""
