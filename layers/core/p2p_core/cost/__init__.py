"""What things cost: the fleet (fleet.py, spot.py, bill.py), the control plane (control_plane.py, usage.py), the radar.

Pure: no AWS calls. Price tables are dated; the control plane's usage figures are the benchmark's measurements
(usage.py reads them from measured_usage.json).
"""
