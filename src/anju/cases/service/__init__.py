"""Cases use cases, one module per subject: `cases` (opening, transitions, deadlines, queues,
statistics), `evidence` (pulled from the registry and the departments), `permits` (the
electronic residence permit), `notices` (inbox and outbound channel), `ratings` (好差评 and
rectification), `participation` (suggestions, service providers). Import what you use from the
subject module."""
