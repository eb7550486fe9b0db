"""The read-only web dashboard and JSON API over the timeline store.

    app         build_dashboard(store, authorizer): one FastAPI app, security headers, errors
    routes      /api/v1/…: findings (page, one), timeline, stats, fleet, clusters
    web         the HTML pages (Jinja2 templates in templates/, static files in static/)
    auth        bearer tokens through TokenReview + SubjectAccessReview, or none (loopback)
    params      query strings into store queries (one-line 400s)
    documents   the JSON bodies, schema kubedrift/v1
    charts      bar and heat-map geometry for inline SVG (pure)
    diffview    desired and live side by side (pure)
    actions     the plan action of a stored finding (remediate/plan.py)
    recent      the menus' short-lived memo

`kubedrift serve` (cli/serve.py) runs the app alone; the controller mounts it.
"""
