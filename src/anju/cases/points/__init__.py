"""Residence-permit points (居住证积分): the fact vocabulary (`facts`), rules in a sandboxed
expression language (`expr`, CEL), the versioned schemes and the pure computation (`scheme`), and
the use cases — a person's points on a date with every indicator's evidence and source, "what
would change my score", recording evidence, appealing a point (`service`)."""
