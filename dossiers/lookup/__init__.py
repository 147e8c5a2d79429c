"""The public side of the portal: the lookup guard (code + second factor, throttle, grant), what
a lookup shows (`progress`), rating the service (`rating`) and feedback (`feedback`)."""
