"""The desktop app: window, tray icon, global hotkey and single-instance control.

This is the only package that imports Qt. Its Qt-free modules (state, session, ipc, settings_file,
desktop) can be imported and tested without PySide6.
"""
