"""Service points: public directory, admin management, seed."""
