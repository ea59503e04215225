"""Service level agreements: business calendars, policies and due times (pure code)."""
