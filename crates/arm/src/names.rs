//! Name rules ARM enforces that azrelo checks before a name is used.

/// Check a resource group name against ARM's rules: 1 to 90 characters;
/// letters and digits (Unicode: .NET's `Char.IsLetterOrDigit`), `_`, `(`,
/// `)`, `-` and `.`; not ending with `.`. Sources: "Naming rules and
/// restrictions for Azure resources", Microsoft.Resources/resourcegroups
/// (learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules),
/// and the REST API spec of `ResourceGroups_CreateOrUpdate`
/// (`resourceGroupName`: minLength 1, maxLength 90, pattern
/// `^[-\w\._\(\)]+$`). Length counts characters.
///
/// ```
/// use azrelo_arm::names::check_resource_group_name;
/// assert!(check_resource_group_name("rg-app_01.(prod)").is_ok());
/// assert!(check_resource_group_name("grupo-producción").is_ok());
/// assert!(check_resource_group_name("../../x/EVIL").is_err());
/// assert!(check_resource_group_name("rg.").is_err());
/// assert!(check_resource_group_name("").is_err());
/// assert!(check_resource_group_name(&"a".repeat(91)).is_err());
/// ```
pub fn check_resource_group_name(name: &str) -> Result<(), String> {
    let n = name.chars().count();
    if n == 0 {
        return Err("a resource group name cannot be empty".into());
    }
    if n > 90 {
        return Err(format!(
            "the resource group name '{name}' has {n} characters; ARM allows at most 90"
        ));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_alphanumeric() || matches!(c, '_' | '(' | ')' | '-' | '.')))
    {
        return Err(format!(
            "the resource group name '{name}' contains '{}'; ARM allows letters, digits, '_', '(', ')', '-' and '.'",
            c.escape_default()
        ));
    }
    if name.ends_with('.') {
        return Err(format!(
            "the resource group name '{name}' ends with '.', which ARM does not allow"
        ));
    }
    Ok(())
}
