"""Who a guidance is for, checked against the episode's patient: a caution when they do not fit.

IPG75 is for infants: offered for a 58-year-old, it says so. The pack names the population
(`population: {who: infants, age: {max: 1}}`); the episode's age and sex come from the worklist
or the review form. One function gives the wording for the app (guidance screen, wizard), for
`workbench code --sex --age` and for `workbench log add`, so they all say the same thing. Without
the age or sex nothing is said: there is nothing to compare.
"""

from __future__ import annotations

from workbench.core.rules.model import Pack, Population


def population_limits(population: Population) -> str:
    """The limits in words: 'aged 1 or under', 'aged 18 or over', 'female'."""
    parts = []
    low, high = population.minimum_age, population.maximum_age
    if low is not None and high is not None:
        parts.append(f"aged {low} to {high}")
    elif high is not None:
        parts.append(f"aged {high} or under")
    elif low is not None:
        parts.append(f"aged {low} or over")
    if population.sex:
        parts.append(population.sex)
    return ", ".join(parts)


def population_caution(pack: Pack | None, sex: str | None, age: int | None) -> str:
    """'' when the patient fits the guidance's population or nothing is known to compare;
    otherwise one sentence saying who the guidance is for and what the episode says.

    ``sex`` is 'male' or 'female' (as the episode details normalise it), ``age`` whole years."""
    population = pack.population if pack is not None else None
    if population is None:
        return ""
    misfits = []
    too_old = population.maximum_age is not None and age is not None and age > population.maximum_age
    too_young = population.minimum_age is not None and age is not None and age < population.minimum_age
    if too_old or too_young:
        misfits.append(f"aged {age}")
    if sex and population.sex and sex != population.sex:
        misfits.append(sex)
    if not misfits:
        return ""
    return (f"{pack.guidance_id} is for {population.who} ({population_limits(population)}); this patient is "
            f"{' and '.join(misfits)}. Check that the guidance applies before coding with it.")
