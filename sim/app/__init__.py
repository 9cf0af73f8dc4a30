"""The planner's dashboard: `citytwin app` (Solara). `session` is its logic, usable without a
browser; `mapview` the commune map as SVG; `page` the page; `server` the server."""
