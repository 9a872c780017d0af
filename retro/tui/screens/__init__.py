"""The app's screens: home, the nine retro steps, the quick check-in, help."""
