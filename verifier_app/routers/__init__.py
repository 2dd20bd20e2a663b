"""One router per audience: consumer (resolver), staff (append API), regulator."""
