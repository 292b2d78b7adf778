"""School places for migrant children (积分入学 + 就近划片): the county's schools with their
catchments and capacities (`cases/data/schools*.toml`), the published allocation algorithm
(`allocate`, pure and reproducible from its inputs and a lottery seed published before the run),
its CSV form (`anju schools allocate`), and the runs over the school-enrollment cases with one
explanation per child and its appeal (`service`)."""
