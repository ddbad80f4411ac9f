"""airgapctl LocalStack extension."""
