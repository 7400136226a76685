"""Running Odwołaj without AWS: moto as the embedded AWS, the template's routes, streams and
schedules served by this package. Used by the local runner and by the tests."""
