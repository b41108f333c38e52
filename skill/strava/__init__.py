"""Strava: connect a runner's account, take Strava's webhook events, import their runs.

Nothing here imports stravalib, Flask or pydantic at package import: the skill's cold start
must not pay for Strava when it is not configured.
"""
