"""Data: the PynamoDB models of the tables template.yaml declares (models), the statuses stored on
them, and the constructors of outbox items every writer needs: domain events (events) and messages
to patients (outbox). May import odwolaj.core only."""
