"""Alerts domain: after every pipeline run, raise and resolve alerts (omnistock.alerts)."""

import dagster as dg

from orchestration.defs.alerts.sensors import ALERT_SENSORS

defs = dg.Definitions(sensors=ALERT_SENSORS)
