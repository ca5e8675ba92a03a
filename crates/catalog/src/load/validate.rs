//! Validating parsed catalog files: ids, URLs, types and conditions,
//! cross-references between files (executors, movers, fixes, durations),
//! and the indexes the catalog answers from.

use super::*;

pub(crate) fn check_id(file: &str, key: &str, id: &str) -> Result<(), CatalogError> {
    let ok = !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !id.starts_with('-')
        && !id.ends_with('-');
    if ok {
        Ok(())
    } else {
        Err(invalid(
            file,
            key,
            format!(
                "id '{id}' must be kebab-case: lower-case letters, digits and single inner hyphens"
            ),
        ))
    }
}

pub(crate) fn check_url(file: &str, key: &str, url: &str) -> Result<(), CatalogError> {
    if url.starts_with("https://") {
        Ok(())
    } else {
        Err(invalid(
            file,
            key,
            format!("source '{url}' must be an https:// URL"),
        ))
    }
}

pub(crate) fn check_type(file: &str, key: &str, t: &str) -> Result<(), CatalogError> {
    azrelo_arm::ResourceType::parse(t)
        .map(|_| ())
        .map_err(|e| invalid(file, key, e.to_string()))
}

pub(crate) fn check_condition(
    file: &str,
    key: &str,
    c: &condition::Condition,
) -> Result<(), CatalogError> {
    let mut errs = Vec::new();
    condition::validate(c, &mut errs);
    if errs.is_empty() {
        Ok(())
    } else {
        Err(invalid(file, key, errs.join("; ")))
    }
}

/// The checklist index and the fix index built by [`validate`].
pub(crate) type Indexes = (HashMap<String, ChecklistItem>, HashMap<String, TemplateFix>);

/// Cross-file validation. Returns the checklist index and fix index.
/// An automated item names a known executor; a manual one names none.
pub(super) fn check_executor(
    executors: &HashMap<String, ()>,
    file: &str,
    key: &str,
    what: &str,
    automated: bool,
    executor: Option<&str>,
) -> Result<(), CatalogError> {
    match (automated, executor) {
        (true, None) => Err(invalid(
            file,
            format!("{key}.executor"),
            format!(
                "{what} is labelled automated but names no executor: name the executor (executors.toml) that performs it, or make it manual"
            ),
        )),
        (false, Some(e)) => Err(invalid(
            file,
            format!("{key}.executor"),
            format!(
                "{what} is manual but names executor '{e}': label it automated or drop the executor"
            ),
        )),
        (true, Some(e)) if !executors.contains_key(e) => Err(invalid(
            file,
            format!("{key}.executor"),
            format!("{what} names unknown executor '{e}' (executors.toml lists them)"),
        )),
        _ => Ok(()),
    }
}

pub(crate) fn validate(p: &mut Parts) -> Result<Indexes, CatalogError> {
    let mut executors: HashMap<String, ()> = HashMap::new();
    for (i, e) in p.executors.iter().enumerate() {
        let key = format!("executors[{i}]");
        check_id("executors.toml", &key, &e.id)?;
        if e.title.trim().is_empty() || e.description.trim().is_empty() {
            return Err(invalid(
                "executors.toml",
                key,
                format!("executor '{}' needs a title and a description", e.id),
            ));
        }
        if executors.insert(e.id.clone(), ()).is_some() {
            return Err(invalid(
                "executors.toml",
                key,
                format!("executor '{}' is defined twice", e.id),
            ));
        }
    }
    let mut checklist: HashMap<String, ChecklistItem> = HashMap::new();
    let mut checklist_origin: HashMap<String, String> = HashMap::new();
    let mut add_item =
        |file: &str, key: String, item: &ChecklistItem| -> Result<(), CatalogError> {
            check_id(file, &key, &item.id)?;
            if let Some(prev) = checklist_origin.get(&item.id) {
                return Err(invalid(
                    file,
                    key,
                    format!("checklist id '{}' is already defined in {prev}", item.id),
                ));
            }
            if item.title.trim().is_empty() || item.instruction.trim().is_empty() {
                return Err(invalid(
                    file,
                    key,
                    format!(
                        "checklist item '{}' needs a title and an instruction",
                        item.id
                    ),
                ));
            }
            check_executor(
                &executors,
                file,
                &key,
                &format!("checklist item '{}'", item.id),
                item.automation == Automation::Automated,
                item.executor.as_deref(),
            )?;
            checklist_origin.insert(item.id.clone(), file.to_string());
            checklist.insert(item.id.clone(), item.clone());
            Ok(())
        };
    for (i, item) in p.checklist.iter().enumerate() {
        add_item("checklist.toml", format!("items[{i}]"), item)?;
    }
    for s in &p.services {
        for (i, item) in s.checklist_items.iter().enumerate() {
            add_item(&s.file, format!("checklist_items[{i}]"), item)?;
        }
    }

    let mut movers = HashMap::new();
    for (i, m) in p.movers.iter().enumerate() {
        let key = format!("movers[{i}]");
        check_id("data-movers.toml", &key, &m.id)?;
        for u in &m.sources {
            check_url("data-movers.toml", &key, u)?;
        }
        if let Some(e) = &m.executor
            && !executors.contains_key(e)
        {
            return Err(invalid(
                "data-movers.toml",
                format!("{key}.executor"),
                format!("data mover '{}' names unknown executor '{e}'", m.id),
            ));
        }
        if movers.insert(m.id.clone(), ()).is_some() {
            return Err(invalid(
                "data-movers.toml",
                key,
                format!("data mover '{}' is defined twice", m.id),
            ));
        }
    }

    check_durations(&p.durations, &movers)?;

    let mut fixes = HashMap::new();
    for (i, f) in p.fixes.iter().enumerate() {
        let key = format!("fixes[{i}]");
        let Some(id) = &f.id else {
            return Err(invalid(
                "template-fixes.toml",
                key,
                "shared fixes need an id",
            ));
        };
        check_id("template-fixes.toml", &key, id)?;
        check_fix("template-fixes.toml", &key, f)?;
        if fixes.insert(id.clone(), f.clone()).is_some() {
            return Err(invalid(
                "template-fixes.toml",
                key,
                format!("fix '{id}' is defined twice"),
            ));
        }
    }

    let d = &p.defaults;
    for (i, id) in d.universal_template_fixes.iter().enumerate() {
        if !fixes.contains_key(id) {
            return Err(invalid(
                "defaults.toml",
                format!("universal_template_fixes[{i}]"),
                format!("unknown fix id '{id}' (define it in template-fixes.toml)"),
            ));
        }
    }
    for (key, rule) in [("name", &d.name), ("child_name", &d.child_name)] {
        rule.validate()
            .map_err(|m| invalid("defaults.toml", key, m))?;
    }
    check_entry(
        "defaults.toml",
        "unlisted",
        &d.unlisted,
        &checklist,
        &movers,
        &fixes,
    )?;

    let mut type_origin: HashMap<String, String> = HashMap::new();
    let mut rule_ids: HashMap<String, String> = HashMap::new();
    let mut service_ids: HashMap<String, ()> = HashMap::new();
    let mut guidance_names: HashMap<String, String> = HashMap::new();
    for s in &p.services {
        let f = s.file.as_str();
        check_id(f, "id", &s.id)?;
        if stem(f) != s.id {
            return Err(invalid(
                f,
                "id",
                format!(
                    "service id '{}' must equal the file name '{}'",
                    s.id,
                    stem(f)
                ),
            ));
        }
        if service_ids.insert(s.id.clone(), ()).is_some() {
            return Err(invalid(
                f,
                "id",
                format!("service id '{}' is used twice", s.id),
            ));
        }
        if s.sources.is_empty() {
            return Err(invalid(
                f,
                "sources",
                "a service needs at least one guidance source URL",
            ));
        }
        for (i, u) in s.sources.iter().enumerate() {
            check_url(f, &format!("sources[{i}]"), u)?;
        }
        for (i, g) in s.guidance_names.iter().enumerate() {
            if let Some(prev) = guidance_names.insert(g.to_lowercase(), f.to_string()) {
                return Err(invalid(
                    f,
                    format!("guidance_names[{i}]"),
                    format!("guidance name '{g}' is already claimed by {prev}"),
                ));
            }
        }
        if s.types.is_empty() {
            return Err(invalid(f, "types", "a service needs at least one type"));
        }
        for (i, t) in s.types.iter().enumerate() {
            let key = format!("types[{i}]");
            check_type(f, &format!("{key}.type"), &t.resource_type)?;
            let lc = t.resource_type.to_ascii_lowercase();
            if let Some(prev) = type_origin.get(&lc) {
                return Err(invalid(
                    f,
                    format!("{key}.type"),
                    format!(
                        "type '{}' is already listed in {prev}; a type belongs to exactly one service",
                        t.resource_type
                    ),
                ));
            }
            type_origin.insert(lc, f.to_string());
            check_entry(f, &key, t, &checklist, &movers, &fixes)?;
            for (j, r) in t.rules.iter().enumerate() {
                if let Some(prev) = rule_ids.insert(r.id.clone(), f.to_string()) {
                    return Err(invalid(
                        f,
                        format!("{key}.rules[{j}]"),
                        format!("rule id '{}' is already used in {prev}", r.id),
                    ));
                }
            }
            for (j, u) in t.upgrades.iter().enumerate() {
                if let Some(prev) = rule_ids.insert(u.id.clone(), f.to_string()) {
                    return Err(invalid(
                        f,
                        format!("{key}.upgrades[{j}]"),
                        format!("upgrade id '{}' is already used in {prev}", u.id),
                    ));
                }
            }
        }
    }
    // A `with_parent` type's parent must be listed somewhere.
    for s in &p.services {
        for (i, t) in s.types.iter().enumerate() {
            if t.with_parent {
                let parent = azrelo_arm::ResourceType::parse(&t.resource_type)
                    .ok()
                    .and_then(|x| x.parent_type());
                match parent {
                    Some(pt) if type_origin.contains_key(&pt.to_lowercase()) => {}
                    _ => {
                        return Err(invalid(
                            &s.file,
                            format!("types[{i}].with_parent"),
                            format!(
                                "'{}' is marked with_parent but its parent type is not listed in the catalog",
                                t.resource_type
                            ),
                        ));
                    }
                }
            }
        }
    }

    let mut scenario_ids = HashMap::new();
    for sc in &p.scenarios {
        let f = sc.file.as_str();
        check_id(f, "id", &sc.id)?;
        if stem(f) != sc.id {
            return Err(invalid(
                f,
                "id",
                format!(
                    "scenario id '{}' must equal the file name '{}'",
                    sc.id,
                    stem(f)
                ),
            ));
        }
        if scenario_ids.insert(sc.id.clone(), ()).is_some() {
            return Err(invalid(
                f,
                "id",
                format!("scenario id '{}' is used twice", sc.id),
            ));
        }
        for (i, u) in sc.sources.iter().enumerate() {
            check_url(f, &format!("sources[{i}]"), u)?;
        }
        if !sc.trigger.always && sc.trigger.types.is_empty() {
            return Err(invalid(
                f,
                "trigger",
                "a scenario needs `always = true` or a list of trigger `types`",
            ));
        }
        for (i, t) in sc.trigger.types.iter().enumerate() {
            check_type(f, &format!("trigger.types[{i}]"), t)?;
        }
        for (i, t) in sc.trigger.subscription_types.iter().enumerate() {
            check_type(f, &format!("trigger.subscription_types[{i}]"), t)?;
        }
        if sc.steps.is_empty() {
            return Err(invalid(f, "steps", "a scenario needs steps"));
        }
        let mut step_ids = HashMap::new();
        let mut last_phase = None;
        for (i, st) in sc.steps.iter().enumerate() {
            let key = format!("steps[{i}]");
            check_id(f, &format!("{key}.id"), &st.id)?;
            if step_ids.insert(st.id.clone(), ()).is_some() {
                return Err(invalid(
                    f,
                    format!("{key}.id"),
                    format!("step id '{}' is used twice in this scenario", st.id),
                ));
            }
            if let Some(prev) = last_phase
                && st.phase < prev
            {
                return Err(invalid(
                    f,
                    format!("{key}.phase"),
                    format!(
                        "step '{}' is in phase {} after a step in a later phase; list steps in process order",
                        st.id,
                        st.phase.as_str()
                    ),
                ));
            }
            last_phase = Some(st.phase);
            check_executor(
                &executors,
                f,
                &key,
                &format!("step '{}'", st.id),
                st.mode == StepMode::Automated,
                st.executor.as_deref(),
            )?;
            if st.instead.as_deref().is_some_and(|t| t.trim().is_empty()) {
                return Err(invalid(
                    f,
                    format!("{key}.instead"),
                    "an empty `instead`: say what azrelo does instead and why, or drop the key",
                ));
            }
            if (st.gate.is_some() || st.gate_scope.is_some())
                && (st.mode != StepMode::ManualGate || sc.command.is_some())
            {
                return Err(invalid(
                    f,
                    format!("{key}.gate"),
                    "`gate` places a manual step of a relocation run; this step is not one",
                ));
            }
            if st.only.is_some() && st.applies_to.is_empty() {
                return Err(invalid(
                    f,
                    format!("{key}.only"),
                    "`only` narrows `applies_to`, which is empty",
                ));
            }
            for (j, t) in st.applies_to.iter().enumerate() {
                check_type(f, &format!("{key}.applies_to[{j}]"), t)?;
            }
            for (j, c) in st.checklist.iter().enumerate() {
                if !checklist.contains_key(c) {
                    return Err(invalid(
                        f,
                        format!("{key}.checklist[{j}]"),
                        format!("unknown checklist id '{c}'"),
                    ));
                }
            }
        }
    }
    crate::ownership::validate("ownership.toml", &p.ownership)?;
    let mut dns_suffixes = HashMap::new();
    for s in &p.services {
        for t in &s.types {
            if let Some(sfx) = t.name.as_ref().and_then(|n| n.dns_suffix.clone()) {
                dns_suffixes.insert(t.resource_type.to_ascii_lowercase(), (sfx, s.file.clone()));
            }
        }
    }
    crate::references::validate("references.toml", &mut p.references, &dns_suffixes)?;
    Ok((checklist, fixes))
}

/// An upgrade edit: a plain pointer (one value, no `*`), `set` with a
/// value, `map` with a non-empty map, `remove` with neither.
pub(super) fn check_upgrade_edit(
    file: &str,
    key: &str,
    e: &crate::model::UpgradeEdit,
) -> Result<(), CatalogError> {
    use crate::model::UpgradeAction;
    if !e.path.starts_with('/') || e.path.len() < 2 || e.path.contains('*') {
        return Err(invalid(
            file,
            format!("{key}.path"),
            format!(
                "path '{}' must be a JSON pointer starting with '/' naming one value (no '*')",
                e.path
            ),
        ));
    }
    let ok = e.referrers.is_empty() == (e.action != UpgradeAction::Referrer)
        && match e.action {
            UpgradeAction::Set => e.value.is_some() && e.map.is_empty(),
            UpgradeAction::Map => e.value.is_none() && !e.map.is_empty(),
            UpgradeAction::Remove | UpgradeAction::Referrer => {
                e.value.is_none() && e.map.is_empty()
            }
        };
    if !ok {
        return Err(invalid(
            file,
            key,
            format!(
                "action '{}' takes {}",
                e.action.as_str(),
                match e.action {
                    UpgradeAction::Set => "a value and nothing else",
                    UpgradeAction::Map => "a non-empty map and nothing else",
                    UpgradeAction::Remove => "no value, map or referrers",
                    UpgradeAction::Referrer => "non-empty referrers and nothing else",
                }
            ),
        ));
    }
    Ok(())
}

pub(super) fn check_fix(file: &str, key: &str, f: &TemplateFix) -> Result<(), CatalogError> {
    if !f.path.starts_with('/') || f.path.len() < 2 {
        return Err(invalid(
            file,
            format!("{key}.path"),
            format!("path '{}' must be a JSON pointer starting with '/'", f.path),
        ));
    }
    match (f.action, &f.value) {
        (crate::model::FixAction::Set, None) => {
            return Err(invalid(file, key, "action 'set' needs a value"));
        }
        (a, Some(_)) if a != crate::model::FixAction::Set => {
            return Err(invalid(
                file,
                key,
                format!("action '{}' takes no value", a.as_str()),
            ));
        }
        _ => {}
    }
    if let Some(c) = &f.when {
        check_condition(file, &format!("{key}.when"), c)?;
    }
    Ok(())
}

pub(super) fn check_entry(
    file: &str,
    key: &str,
    t: &TypeEntry,
    checklist: &HashMap<String, ChecklistItem>,
    movers: &HashMap<String, ()>,
    fixes: &HashMap<String, TemplateFix>,
) -> Result<(), CatalogError> {
    match (&t.data_mover, t.strategy.needs_data_mover()) {
        (None, true) => {
            return Err(invalid(
                file,
                format!("{key}.data_mover"),
                format!("strategy '{}' needs a data_mover", t.strategy.as_str()),
            ));
        }
        (Some(m), false) => {
            return Err(invalid(
                file,
                format!("{key}.data_mover"),
                format!(
                    "data mover '{m}' given but strategy '{}' moves no data; use redeploy+data or replicate",
                    t.strategy.as_str()
                ),
            ));
        }
        (Some(m), true) if !movers.contains_key(m) => {
            return Err(invalid(
                file,
                format!("{key}.data_mover"),
                format!("unknown data mover '{m}' (define it in data-movers.toml)"),
            ));
        }
        _ => {}
    }
    for (i, c) in t.data_mover_when.iter().enumerate() {
        let k = format!("{key}.data_mover_when[{i}]");
        if t.data_mover.is_none() {
            return Err(invalid(
                file,
                k,
                "a conditional data mover needs a default data_mover".to_string(),
            ));
        }
        if !movers.contains_key(&c.id) {
            return Err(invalid(
                file,
                format!("{k}.id"),
                format!(
                    "unknown data mover '{}' (define it in data-movers.toml)",
                    c.id
                ),
            ));
        }
        check_condition(file, &format!("{k}.when"), &c.when)?;
    }
    if let Some(n) = &t.name {
        n.validate()
            .map_err(|m| invalid(file, format!("{key}.name"), m))?;
        if let Some(u) = &n.source {
            check_url(file, &format!("{key}.name.source"), u)?;
        }
    }
    for (i, c) in t.checklist.iter().enumerate() {
        if !checklist.contains_key(c.id()) {
            return Err(invalid(
                file,
                format!("{key}.checklist[{i}]"),
                format!(
                    "unknown checklist id '{}' (define it in checklist.toml or the service's checklist_items)",
                    c.id()
                ),
            ));
        }
        if let ChecklistRef::When { when, .. } = c {
            check_condition(file, &format!("{key}.checklist[{i}].when"), when)?;
        }
    }
    for (i, f) in t.template_fixes.iter().enumerate() {
        let k = format!("{key}.template_fixes[{i}]");
        match f {
            FixRef::Id(id) if !fixes.contains_key(id) => {
                return Err(invalid(
                    file,
                    k,
                    format!("unknown fix id '{id}' (define it in template-fixes.toml)"),
                ));
            }
            FixRef::Id(_) => {}
            FixRef::Inline(fix) => check_fix(file, &k, fix)?,
        }
    }
    for (i, r) in t.rules.iter().enumerate() {
        let k = format!("{key}.rules[{i}]");
        check_id(file, &format!("{k}.id"), &r.id)?;
        check_condition(file, &format!("{k}.when"), &r.when)?;
        for u in &r.sources {
            check_url(file, &k, u)?;
        }
    }
    for (i, up) in t.upgrades.iter().enumerate() {
        let k = format!("{key}.upgrades[{i}]");
        check_id(file, &format!("{k}.id"), &up.id)?;
        check_condition(file, &format!("{k}.when"), &up.when)?;
        if up.edits.is_empty() {
            return Err(invalid(file, &k, "an upgrade needs at least one edit"));
        }
        if up.sources.is_empty() {
            return Err(invalid(
                file,
                &k,
                "an upgrade needs its sources (the retirement notice, the upgrade guidance)",
            ));
        }
        for u in &up.sources {
            check_url(file, &k, u)?;
        }
        for (j, e) in up.edits.iter().enumerate() {
            check_upgrade_edit(file, &format!("{k}.edits[{j}]"), e)?;
            for (n, t) in e.referrers.iter().enumerate() {
                check_type(file, &format!("{k}.edits[{j}].referrers[{n}]"), t)?;
            }
        }
    }
    for u in &t.sources {
        check_url(file, key, u)?;
    }
    Ok(())
}

/// `durations.toml`: types parse, ranges are ordered, every downtime class
/// and every data mover has exactly one entry (and no unknown mover).
pub(super) fn check_durations(
    d: &Durations,
    movers: &HashMap<String, ()>,
) -> Result<(), CatalogError> {
    const F: &str = "durations.toml";
    let mut types = HashMap::new();
    for (i, t) in d.deploy.types.iter().enumerate() {
        let key = format!("deploy.types[{i}]");
        check_type(F, &key, &t.resource_type)?;
        for u in &t.sources {
            check_url(F, &key, u)?;
        }
        if types
            .insert(t.resource_type.to_ascii_lowercase(), ())
            .is_some()
        {
            return Err(invalid(
                F,
                key,
                format!("type '{}' is listed twice", t.resource_type),
            ));
        }
    }
    for u in &d.switch.sources {
        check_url(F, "switch", u)?;
    }
    let range = |key: &str, [lo, hi]: [u32; 2]| {
        if lo <= hi {
            Ok(())
        } else {
            Err(invalid(
                F,
                key,
                format!("outage_minutes [{lo}, {hi}]: the low end must not exceed the high end"),
            ))
        }
    };
    for class in [Downtime::Cold, Downtime::Warm, Downtime::Hot] {
        let n = d.classes.iter().filter(|c| c.downtime == class).count();
        if n != 1 {
            return Err(invalid(
                F,
                "classes",
                format!(
                    "downtime class '{}' needs exactly one entry (found {n})",
                    class.as_str()
                ),
            ));
        }
    }
    for (i, c) in d.classes.iter().enumerate() {
        let key = format!("classes[{i}]");
        range(&key, c.outage_minutes)?;
        for u in &c.sources {
            check_url(F, &key, u)?;
        }
    }
    let mut seen = HashMap::new();
    for (i, m) in d.movers.iter().enumerate() {
        let key = format!("movers[{i}]");
        if !movers.contains_key(&m.id) {
            return Err(invalid(
                F,
                key,
                format!(
                    "unknown data mover '{}' (define it in data-movers.toml)",
                    m.id
                ),
            ));
        }
        if seen.insert(m.id.clone(), ()).is_some() {
            return Err(invalid(
                F,
                key,
                format!("data mover '{}' is listed twice", m.id),
            ));
        }
        range(&key, m.outage_minutes)?;
        if m.basis.trim().is_empty() {
            return Err(invalid(F, key, "every duration needs its basis"));
        }
    }
    let mut missing: Vec<&String> = movers.keys().filter(|id| !seen.contains_key(*id)).collect();
    missing.sort();
    if let Some(id) = missing.first() {
        return Err(invalid(
            F,
            "movers",
            format!("data mover '{id}' has no durations entry"),
        ));
    }
    Ok(())
}
