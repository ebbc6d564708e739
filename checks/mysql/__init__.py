"""MySQL / MariaDB checks."""
