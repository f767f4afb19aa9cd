"""Plain dict views of packs, questions and evaluations (for --json and for display)."""

from __future__ import annotations

from workbench.core.rules.conditions import describe
from workbench.core.rules.model import (
    EditResult,
    Entry,
    Evaluation,
    Fixed,
    FromAnswer,
    Group,
    Item,
    Pack,
    Question,
    Table,
)
from workbench.core.rules.population import population_limits


def question_as_dict(question: Question) -> dict:
    out = {
        "id": question.id, "kind": question.kind, "prompt": question.prompt, "help": question.help,
        "source": question.source, "default": question.default,
        "options": [{"value": o.value, "label": o.label, "help": o.help, "codes": list(o.codes),
                     "preferred": o.preferred} for o in question.options],
    }
    if question.kind == "number":
        out.update(minimum=question.minimum, maximum=question.maximum)
    if question.kind == "code":
        out.update(scope=list(question.code_scope), several=question.several,
                   classification=question.classification)
    if question.group:
        out.update(group=question.group, instance=question.instance)
    return out


def entry_as_dict(entry: Entry) -> dict:
    return {"position": entry.position, "code": entry.code, "title": entry.title,
            "classification": entry.classification, "reason": entry.reason, "source": entry.source,
            "mark": entry.mark}


def edit_as_dict(result: EditResult) -> dict:
    return {"id": result.id, "severity": result.severity, "message": result.message,
            "position": result.position, "classification": result.classification}


def evaluation_as_dict(result: Evaluation, edits: list[EditResult]) -> dict:
    """The shape `workbench code --json` prints (issue 3, item 5), plus details."""
    return {
        "complete": result.complete,
        "procedures": [e.code for e in result.procedures],
        "diagnoses": [e.code for e in result.diagnoses],
        "next_question": question_as_dict(result.next_question) if result.next_question else None,
        "edits": [edit_as_dict(e) for e in edits],
        "answers": result.answers,
        "progress": list(result.progress),
        "notes": result.notes,
        "handover": result.handover or None,
        "entries": {"procedures": [entry_as_dict(e) for e in result.procedures],
                    "diagnoses": [entry_as_dict(e) for e in result.diagnoses]},
    }


def pack_as_dict(pack: Pack) -> dict:
    prompts = {q.id: q.prompt for q in pack.all_questions()}

    def text(condition) -> str | None:
        return None if condition is None else describe(condition, lambda q: prompts.get(q, q))

    questions = []
    for item in pack.questions:
        if isinstance(item, Group):
            questions.append({
                "group": item.id, "when": text(item.when), "max": item.maximum,
                "distinct": list(item.distinct), "another": question_as_dict(item.another),
                "questions": [dict(question_as_dict(q), when=text(q.when)) for q in item.questions],
            })
        else:
            questions.append(dict(question_as_dict(item), when=text(item.when)))
    return {
        "id": pack.id, "guidance_id": pack.guidance_id, "title": pack.title, "version": pack.version,
        "status": pack.status, "partial": pack.partial, "partial_reason": pack.partial_reason,
        "editions": pack.editions, "source_url": pack.source_url, "path": pack.path,
        "questions": questions,
        "procedures": [_item(i, text) for i in pack.procedures],
        "diagnoses": [_item(i, text) for i in pack.diagnoses],
        "notes": [{"text": n.text, "when": text(n.when)} for n in pack.notes],
        "suppress": [{"code": s.code, "by": list(s.by), "reason": s.reason} for s in pack.suppressions],
        "exclusions": [{"code": e.code, "with": list(e.with_codes), "reason": e.reason} for e in pack.exclusions],
        "forbidden": [{"code": f.code, "reason": f.reason} for f in pack.forbidden],
        "requires_diagnosis": pack.requires_diagnosis,
        "snomed": list(pack.snomed),
        "lifecycle": pack.lifecycle.as_dict(),
        "scope": {"covers": pack.scope.covers, "when": text(pack.scope.when)} if pack.scope else None,
        "positions": [{"codes": list(p.codes), "place": p.place, "after": list(p.after),
                       "secondary_to": list(p.secondary_to), "when": text(p.when), "reason": p.reason}
                      for p in pack.positions],
        "case_by_case": pack.case_by_case or None,
        "population": ({"who": pack.population.who, "limits": population_limits(pack.population)}
                       if pack.population else None),
    }


def snomed_lines(pack: Pack) -> list[str]:
    """The pack's SNOMED CT concepts as display lines: 'procedure: term (concept id)'."""
    out = []
    for concept in pack.snomed:
        kind = concept.get("type", "")
        out.append(f"{kind + ': ' if kind else ''}{concept.get('term', '')} ({concept.get('concept_id', '')})")
    return out


def _item(item: Item, text) -> dict:
    if isinstance(item, Fixed):
        return {"type": "code", "codes": list(item.codes), "when": text(item.when), "reason": item.reason}
    if isinstance(item, FromAnswer):
        return {"type": "from", "question": item.question, "within": list(item.within),
                "default": item.default, "when": text(item.when), "reason": item.reason}
    if isinstance(item, Table):
        return {"type": "table", "keys": list(item.keys), "rows": item.rows, "when": text(item.when)}
    return {"type": "each", "group": item.group, "items": [_item(i, text) for i in item.items]}
