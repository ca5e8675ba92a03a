//! What the emulator does differently per resource type, gathered in one
//! table ([`TABLE`]) that every handler consults through [`facts`]:
//! the error codes of a taken global name and of a resource still in use,
//! the status a PUT answers with, whether PATCH updates tags only, typical
//! operation durations, the `list*()` actions a deployment can call (and
//! the shape of their answer), children Azure creates with their parent,
//! resources Azure creates on its own, and types whose references are
//! opaque.
//!
//! Facts other tables already hold are not repeated here: whether a name is
//! globally unique comes from the relocation catalog's name rule
//! (`azrelo_catalog`), read-only paths from the schema flags
//! (`azrelo_arm::schema`), regions and API versions from the embedded
//! snapshots (`azrelo_arm`).
//!
//! An entry names a type as ARM spells it (`Microsoft.Storage/storageAccounts`),
//! a whole namespace (`Microsoft.Network/*`) or every type whose last
//! segment is the same (`*/authorizationRules`). A type's facts are its own
//! entry's, then its namespace's, then its last segment's, then the
//! defaults ([`Facts::DEFAULT`]), field by field.

use std::collections::HashMap;
use std::sync::OnceLock;

use axum::http::StatusCode;

/// How a PUT answers, as each resource provider's REST specification
/// declares it (SDK pollers reject a status the specification does not
/// list).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PutAnswer {
    /// 201 with the resource on create, 200 on update.
    CreatedOrOk,
    /// 202 with the resource (Compute disks and snapshots).
    Accepted,
    /// 202 without a body on create, 200 with the resource on update
    /// (storage accounts).
    AcceptedEmptyOnCreate,
    /// 202 without a body, create or update (Azure Backup protected items
    /// and containers: `AzureIaasVm/StopProtection.json`,
    /// `AzureStorage/ProtectionContainers_Register.json`).
    AcceptedEmpty,
}

impl PutAnswer {
    /// The status and whether the answer carries the resource.
    pub fn status(self, existed: bool) -> (StatusCode, bool) {
        match (self, existed) {
            (PutAnswer::Accepted, _) => (StatusCode::ACCEPTED, true),
            (PutAnswer::AcceptedEmptyOnCreate, false) => (StatusCode::ACCEPTED, false),
            (PutAnswer::AcceptedEmpty, _) => (StatusCode::ACCEPTED, false),
            (_, true) => (StatusCode::OK, true),
            (_, false) => (StatusCode::CREATED, true),
        }
    }
}

/// The shape of a `list*()` answer (REST API reference of each provider's
/// `listKeys`/… action); the values are generated per resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListShape {
    /// `StorageAccounts_ListKeys` (`{key1, key2}` before 2016-01-01).
    StorageKeys,
    StorageAccountSas,
    StorageServiceSas,
    /// A Service Bus–style authorization rule's keys and connection
    /// strings (Event Hubs, Service Bus, Relay, Notification Hubs).
    SharedAccessRuleKeys,
    CosmosKeys,
    CosmosConnectionStrings,
    /// `{primaryKey, secondaryKey}`.
    PrimarySecondary,
    MapsKeys,
    MapsSas,
    /// Keys and `Endpoint=https://{name}.{host};AccessKey=…` connection
    /// strings (SignalR, Web PubSub).
    AccessKeys {
        host: &'static str,
    },
    CommunicationKeys,
    SearchQueryKeys,
    /// `{key1, key2}`.
    Key1Key2,
    SharedKeys,
    RegistryCredentials,
    IotHubKeys,
    IotHubKey,
    DpsKeys,
    BatchKeys,
    AutomationKeys,
    PublishingCredentials,
    HostKeys,
    FunctionKeys,
    AppSettings,
    WorkflowCallbackUrl,
    TriggerCallbackUrl,
    IntegrationAccountCallbackUrl,
    KubeConfig,
    AppConfigKeys,
    IntegrationRuntimeAuthKeys,
    RegistrationTokens,
}

/// Which children of a type Azure creates with their parent (or on
/// demand): they exist without a PUT of their own once the parent does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Builtin {
    /// Only these names (lower-case).
    Names(&'static [&'static str]),
    /// Any name.
    Any,
    /// Names starting with this (lower-case).
    NamePrefix(&'static str),
    /// Any name, under a parent whose name starts with this (lower-case).
    ParentNamePrefix(&'static str),
    /// A trigger the parent workflow's definition declares.
    WorkflowTrigger,
}

/// Azure Backup's protected items.
pub const PROTECTED_ITEMS: &str =
    "Microsoft.RecoveryServices/vaults/backupFabrics/protectionContainers/protectedItems";
/// Azure Backup's protection containers.
pub const CONTAINERS: &str = "Microsoft.RecoveryServices/vaults/backupFabrics/protectionContainers";

/// What a PUT of the type does beyond storing the body (handlers in
/// `api/behaviours.rs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Behaviour {
    /// An Azure Backup protected item: the protected resource and (unless
    /// protection is being stopped) the policy must exist, a file share or
    /// a database needs its container registered first; the properties
    /// merge into the stored item (a stop keeps its policy, as the REST
    /// example shows) and the service's read-only fields are set.
    BackupProtectedItem,
    /// An Azure Backup container registration (`registrationStatus`).
    BackupContainer,
    /// `vaults/accessPolicies/{add|replace|remove}`: an action on the
    /// vault's `accessPolicies`, not a resource of its own.
    KeyVaultAccessPolicies,
    /// A Cosmos DB SQL role assignment: its role definition must exist in
    /// the account and its scope lie within it.
    CosmosSqlRoleAssignment,
}

/// The body ARM answers a GET of a resource nobody created with (settings
/// every vault or subscription has).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DefaultBody {
    /// A vault's built-in backup policies.
    BackupPolicy,
    /// `backupstorageconfig/vaultstorageconfig`: geo-redundant, no
    /// cross-region restore.
    VaultStorageConfig,
    /// `backupconfig/vaultconfig`: soft delete on.
    VaultConfig,
    /// A Defender plan of a subscription: Free until enabled.
    SecurityPricing,
    /// `autoProvisioningSettings/default`: off.
    AutoProvisioning,
    /// A logical SQL server's `master` database (a system database every
    /// server has; `Databases_ListByServer` lists it with kind
    /// `v12.0,system`, SKU `System` and the server as `managedBy`).
    SqlMasterDatabase,
}

/// Resources Azure creates on its own when a resource of the type is
/// created.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnCreate {
    /// `NetworkWatcherRG/NetworkWatcher_<region>` (see
    /// the emulator's `defaults` module).
    NetworkWatcher,
    /// An app's default host-name binding `<app>.azurewebsites.net` (a
    /// slot's `<app>-<slot>.azurewebsites.net`).
    DefaultHostNameBinding,
}

/// One entry of [`TABLE`]: every field left `None` (or empty) falls back
/// to the namespace's entry, the last segment's, then the default.
#[derive(Debug, Clone, Copy)]
pub struct Entry {
    /// `Namespace/type[/child…]`, `Namespace/*` or `*/segment`.
    pub ty: &'static str,
    /// ARM's code when a globally unique name is taken.
    pub name_taken: Option<&'static str>,
    /// ARM's code when a resource still in use is deleted.
    pub in_use: Option<&'static str>,
    pub put: Option<PutAnswer>,
    /// PATCH updates tags only (Microsoft.Network's `UpdateTags`,
    /// resource groups) instead of merging the patch.
    pub patch_tags_only: Option<bool>,
    /// Typical (create, delete) seconds in the realistic latency profile.
    pub seconds: Option<(f64, f64)>,
    /// The type `checkNameAvailability` of its namespace checks when the
    /// request names none.
    pub name_check_default: bool,
    /// Its properties are opaque objects the provider stores as given: the
    /// ids in them are not checked on PUT.
    pub opaque_references: bool,
    pub on_create: Option<OnCreate>,
    /// `list*()` actions (lower-case function name) and their answers.
    pub list: &'static [(&'static str, ListShape)],
    pub builtin: Option<Builtin>,
    pub behaviour: Option<Behaviour>,
    pub default_body: Option<DefaultBody>,
}

const E: Entry = Entry {
    ty: "",
    name_taken: None,
    in_use: None,
    put: None,
    patch_tags_only: None,
    seconds: None,
    name_check_default: false,
    opaque_references: false,
    on_create: None,
    list: &[],
    builtin: None,
    behaviour: None,
    default_body: None,
};

/// An entry with typical (create, delete) seconds.
const fn secs(ty: &'static str, create: f64, delete: f64) -> Entry {
    Entry {
        ty,
        seconds: Some((create, delete)),
        ..E
    }
}

/// Types ARM handles synchronously: no time.
const fn instant(ty: &'static str) -> Entry {
    secs(ty, 0.0, 0.0)
}

/// Children Azure creates with their parent.
const fn builtin(ty: &'static str, b: Builtin) -> Entry {
    Entry {
        ty,
        builtin: Some(b),
        ..E
    }
}

/// `list*()` actions of a type.
const fn lists(ty: &'static str, list: &'static [(&'static str, ListShape)]) -> Entry {
    Entry { ty, list, ..E }
}

use Builtin::{Any, NamePrefix, Names, ParentNamePrefix};
use ListShape as L;

/// The per-type table. The durations are typical figures for a single
/// resource in one region (a model of Azure's behaviour, not a
/// measurement); see [`crate::latency`].
pub const TABLE: &[Entry] = &[
    // Namespaces.
    Entry {
        ty: "Microsoft.Network/*",
        patch_tags_only: Some(true),
        ..E
    },
    // Resource groups: PATCH changes tags (and managedBy) only.
    Entry {
        ty: "Microsoft.Resources/resourceGroups",
        patch_tags_only: Some(true),
        ..E
    },
    instant("Microsoft.Resources/deployments"),
    instant("Microsoft.Resources/tags"),
    instant("Microsoft.Authorization/roleAssignments"),
    instant("Microsoft.Authorization/locks"),
    instant("Microsoft.Insights/diagnosticSettings"),
    // Compute.
    secs("Microsoft.Compute/virtualMachines", 90.0, 60.0),
    secs("Microsoft.Compute/virtualMachines/extensions", 120.0, 60.0),
    secs("Microsoft.Compute/virtualMachineScaleSets", 120.0, 90.0),
    Entry {
        put: Some(PutAnswer::Accepted),
        ..secs("Microsoft.Compute/disks", 10.0, 10.0)
    },
    Entry {
        put: Some(PutAnswer::Accepted),
        ..secs("Microsoft.Compute/snapshots", 15.0, 10.0)
    },
    secs("Microsoft.Compute/availabilitySets", 3.0, 3.0),
    // Network.
    Entry {
        in_use: Some("InUseNetworkSecurityGroupCannotBeDeleted"),
        ..secs("Microsoft.Network/networkSecurityGroups", 5.0, 5.0)
    },
    secs(
        "Microsoft.Network/networkSecurityGroups/securityRules",
        5.0,
        5.0,
    ),
    secs("Microsoft.Network/routeTables", 5.0, 5.0),
    Entry {
        in_use: Some("NicInUse"),
        ..secs("Microsoft.Network/networkInterfaces", 5.0, 5.0)
    },
    Entry {
        in_use: Some("PublicIPAddressInUse"),
        ..secs("Microsoft.Network/publicIPAddresses", 5.0, 10.0)
    },
    Entry {
        in_use: Some("InUseSubnetCannotBeDeleted"),
        on_create: Some(OnCreate::NetworkWatcher),
        ..secs("Microsoft.Network/virtualNetworks", 10.0, 10.0)
    },
    Entry {
        in_use: Some("InUseSubnetCannotBeDeleted"),
        ..secs("Microsoft.Network/virtualNetworks/subnets", 10.0, 10.0)
    },
    secs("Microsoft.Network/loadBalancers", 15.0, 15.0),
    secs("Microsoft.Network/privateEndpoints", 30.0, 20.0),
    secs("Microsoft.Network/privateDnsZones", 30.0, 30.0),
    secs(
        "Microsoft.Network/privateDnsZones/virtualNetworkLinks",
        30.0,
        30.0,
    ),
    secs("Microsoft.Network/natGateways", 15.0, 15.0),
    secs("Microsoft.Network/bastionHosts", 300.0, 180.0),
    secs("Microsoft.Network/applicationGateways", 600.0, 300.0),
    secs("Microsoft.Network/azureFirewalls", 600.0, 300.0),
    secs("Microsoft.Network/virtualNetworkGateways", 1800.0, 900.0),
    builtin(
        "Microsoft.Network/virtualHubs/hubRouteTables",
        Names(&["defaultroutetable", "noneroutetable"]),
    ),
    // Storage.
    Entry {
        name_taken: Some("StorageAccountAlreadyTaken"),
        name_check_default: true,
        put: Some(PutAnswer::AcceptedEmptyOnCreate),
        seconds: Some((25.0, 5.0)),
        list: &[
            ("listkeys", L::StorageKeys),
            ("listaccountsas", L::StorageAccountSas),
            ("listservicesas", L::StorageServiceSas),
        ],
        ..E.with("Microsoft.Storage/storageAccounts")
    },
    // Key Vault.
    Entry {
        name_taken: Some("VaultAlreadyExists"),
        name_check_default: true,
        seconds: Some((20.0, 10.0)),
        ..E.with("Microsoft.KeyVault/vaults")
    },
    secs("Microsoft.ManagedIdentity/userAssignedIdentities", 3.0, 3.0),
    // App Service.
    secs("Microsoft.Web/serverfarms", 20.0, 10.0),
    Entry {
        name_taken: Some("WebsiteAlreadyExists"),
        name_check_default: true,
        seconds: Some((40.0, 20.0)),
        on_create: Some(OnCreate::DefaultHostNameBinding),
        list: &[
            ("listpublishingcredentials", L::PublishingCredentials),
            ("listkeys", L::HostKeys),
            ("listhostkeys", L::HostKeys),
        ],
        ..E.with("Microsoft.Web/sites")
    },
    Entry {
        on_create: Some(OnCreate::DefaultHostNameBinding),
        list: &[
            ("listpublishingcredentials", L::PublishingCredentials),
            ("listkeys", L::HostKeys),
            ("listhostkeys", L::HostKeys),
        ],
        ..E.with("Microsoft.Web/sites/slots")
    },
    Entry {
        list: &[("listkeys", L::HostKeys), ("listhostkeys", L::HostKeys)],
        builtin: Some(Names(&["default"])),
        ..E.with("Microsoft.Web/sites/host")
    },
    lists(
        "Microsoft.Web/sites/functions",
        &[
            ("listkeys", L::FunctionKeys),
            ("listsecrets", L::FunctionKeys),
        ],
    ),
    lists("Microsoft.Web/sites/config", &[("list", L::AppSettings)]),
    builtin(
        "Microsoft.Web/hostingEnvironments/configurations",
        Names(&["networking"]),
    ),
    // Databases.
    Entry {
        name_taken: Some("ServerAlreadyExists"),
        name_check_default: true,
        seconds: Some((90.0, 60.0)),
        ..E.with("Microsoft.Sql/servers")
    },
    Entry {
        seconds: Some((120.0, 30.0)),
        builtin: Some(Names(&["master"])),
        default_body: Some(DefaultBody::SqlMasterDatabase),
        ..E.with("Microsoft.Sql/servers/databases")
    },
    secs("Microsoft.DBforPostgreSQL/flexibleServers", 600.0, 300.0),
    secs("Microsoft.DBforMySQL/flexibleServers", 600.0, 300.0),
    Entry {
        name_taken: Some("DatabaseAccountNameAlreadyExists"),
        seconds: Some((360.0, 300.0)),
        list: &[
            ("listkeys", L::CosmosKeys),
            ("listconnectionstrings", L::CosmosConnectionStrings),
        ],
        ..E.with("Microsoft.DocumentDB/databaseAccounts")
    },
    builtin(
        "Microsoft.DocumentDB/databaseAccounts/apis",
        Names(&["sql", "mongodb", "cassandra", "gremlin", "table"]),
    ),
    builtin(
        "Microsoft.DocumentDB/databaseAccounts/sqlRoleDefinitions",
        Names(&[
            "00000000-0000-0000-0000-000000000001",
            "00000000-0000-0000-0000-000000000002",
        ]),
    ),
    Entry {
        behaviour: Some(Behaviour::CosmosSqlRoleAssignment),
        ..secs(
            "Microsoft.DocumentDB/databaseAccounts/sqlRoleAssignments",
            5.0,
            5.0,
        )
    },
    Entry {
        seconds: Some((1200.0, 600.0)),
        list: &[("listkeys", L::PrimarySecondary)],
        ..E.with("Microsoft.Cache/redis")
    },
    // Containers.
    Entry {
        seconds: Some((420.0, 300.0)),
        list: &[
            ("listclusteradmincredential", L::KubeConfig),
            ("listclusterusercredential", L::KubeConfig),
        ],
        ..E.with("Microsoft.ContainerService/managedClusters")
    },
    Entry {
        name_taken: Some("AlreadyInUse"),
        name_check_default: true,
        seconds: Some((20.0, 10.0)),
        list: &[("listcredentials", L::RegistryCredentials)],
        ..E.with("Microsoft.ContainerRegistry/registries")
    },
    // Monitoring, backup.
    Entry {
        seconds: Some((20.0, 20.0)),
        list: &[("listkeys", L::SharedKeys), ("sharedkeys", L::SharedKeys)],
        ..E.with("Microsoft.OperationalInsights/workspaces")
    },
    secs("Microsoft.RecoveryServices/vaults", 30.0, 30.0),
    secs("Microsoft.DataProtection/backupVaults", 30.0, 30.0),
    builtin(
        "Microsoft.RecoveryServices/vaults/backupFabrics",
        Names(&["azure"]),
    ),
    Entry {
        put: Some(PutAnswer::AcceptedEmpty),
        behaviour: Some(Behaviour::BackupContainer),
        builtin: Some(Any),
        ..secs(
            "Microsoft.RecoveryServices/vaults/backupFabrics/protectionContainers",
            30.0,
            10.0,
        )
    },
    Entry {
        put: Some(PutAnswer::AcceptedEmpty),
        behaviour: Some(Behaviour::BackupProtectedItem),
        ..secs(
            "Microsoft.RecoveryServices/vaults/backupFabrics/protectionContainers/protectedItems",
            20.0,
            20.0,
        )
    },
    Entry {
        builtin: Some(Names(&[
            "defaultpolicy",
            "enhancedpolicy",
            "hourlylogbackup",
        ])),
        default_body: Some(DefaultBody::BackupPolicy),
        ..instant("Microsoft.RecoveryServices/vaults/backupPolicies")
    },
    Entry {
        builtin: Some(Names(&["vaultstorageconfig"])),
        default_body: Some(DefaultBody::VaultStorageConfig),
        ..instant("Microsoft.RecoveryServices/vaults/backupstorageconfig")
    },
    Entry {
        builtin: Some(Names(&["vaultconfig"])),
        default_body: Some(DefaultBody::VaultConfig),
        ..instant("Microsoft.RecoveryServices/vaults/backupconfig")
    },
    // Key Vault access policy actions.
    Entry {
        behaviour: Some(Behaviour::KeyVaultAccessPolicies),
        ..instant("Microsoft.KeyVault/vaults/accessPolicies")
    },
    // Defender for Cloud settings of a subscription (synchronous).
    Entry {
        default_body: Some(DefaultBody::SecurityPricing),
        ..instant("Microsoft.Security/pricings")
    },
    Entry {
        default_body: Some(DefaultBody::AutoProvisioning),
        ..instant("Microsoft.Security/autoProvisioningSettings")
    },
    instant("Microsoft.Security/settings"),
    instant("Microsoft.Security/workspaceSettings"),
    instant("Microsoft.Security/securityContacts"),
    secs("Microsoft.OperationsManagement/solutions", 10.0, 10.0),
    // Messaging: every authorization rule answers listKeys alike.
    lists(
        "*/authorizationRules",
        &[("listkeys", L::SharedAccessRuleKeys)],
    ),
    builtin(
        "Microsoft.ServiceBus/namespaces/authorizationRules",
        Names(&["rootmanagesharedaccesskey"]),
    ),
    builtin(
        "Microsoft.EventHub/namespaces/authorizationRules",
        Names(&["rootmanagesharedaccesskey"]),
    ),
    builtin(
        "Microsoft.Relay/namespaces/authorizationRules",
        Names(&["rootmanagesharedaccesskey"]),
    ),
    builtin(
        "Microsoft.NotificationHubs/namespaces/authorizationRules",
        Names(&["rootmanagesharedaccesskey"]),
    ),
    builtin(
        "Microsoft.NotificationHubs/namespaces/notificationHubs/authorizationRules",
        Names(&[
            "defaultfullsharedaccesssignature",
            "defaultlistensharedaccesssignature",
        ]),
    ),
    // IoT.
    lists("Microsoft.Devices/IotHubs", &[("listkeys", L::IotHubKeys)]),
    Entry {
        list: &[("listkeys", L::IotHubKey)],
        builtin: Some(Names(&[
            "iothubowner",
            "service",
            "device",
            "registryread",
            "registryreadwrite",
        ])),
        ..E.with("Microsoft.Devices/IotHubs/IotHubKeys")
    },
    builtin(
        "Microsoft.Devices/IotHubs/eventHubEndpoints",
        Names(&["events", "operationsmonitoringevents"]),
    ),
    lists(
        "Microsoft.Devices/provisioningServices",
        &[("listkeys", L::DpsKeys)],
    ),
    // Keys of other services.
    lists(
        "Microsoft.Maps/accounts",
        &[("listkeys", L::MapsKeys), ("listsas", L::MapsSas)],
    ),
    lists(
        "Microsoft.SignalRService/signalR",
        &[(
            "listkeys",
            L::AccessKeys {
                host: "service.signalr.net",
            },
        )],
    ),
    lists(
        "Microsoft.SignalRService/webPubSub",
        &[(
            "listkeys",
            L::AccessKeys {
                host: "webpubsub.azure.com",
            },
        )],
    ),
    lists(
        "Microsoft.Search/searchServices",
        &[
            ("listadminkeys", L::PrimarySecondary),
            ("listquerykeys", L::SearchQueryKeys),
        ],
    ),
    lists(
        "Microsoft.CognitiveServices/accounts",
        &[("listkeys", L::Key1Key2)],
    ),
    lists(
        "Microsoft.Batch/batchAccounts",
        &[("listkeys", L::BatchKeys)],
    ),
    lists(
        "Microsoft.Automation/automationAccounts",
        &[("listkeys", L::AutomationKeys)],
    ),
    lists(
        "Microsoft.Communication/communicationServices",
        &[("listkeys", L::CommunicationKeys)],
    ),
    lists(
        "Microsoft.AppConfiguration/configurationStores",
        &[("listkeys", L::AppConfigKeys)],
    ),
    lists(
        "Microsoft.DataFactory/factories/integrationRuntimes",
        &[("listauthkeys", L::IntegrationRuntimeAuthKeys)],
    ),
    lists(
        "Microsoft.DesktopVirtualization/hostPools",
        &[("listregistrationtokens", L::RegistrationTokens)],
    ),
    // Logic Apps.
    lists(
        "Microsoft.Logic/workflows",
        &[("listcallbackurl", L::WorkflowCallbackUrl)],
    ),
    Entry {
        list: &[("listcallbackurl", L::TriggerCallbackUrl)],
        builtin: Some(Builtin::WorkflowTrigger),
        ..E.with("Microsoft.Logic/workflows/triggers")
    },
    lists(
        "Microsoft.Logic/integrationAccounts",
        &[("listcallbackurl", L::IntegrationAccountCallbackUrl)],
    ),
    // Dev centers, machine learning.
    builtin(
        "Microsoft.DevCenter/devcenters/galleries",
        Names(&["default"]),
    ),
    // A dev center gallery lists the images of the gallery it attaches
    // (the default one: the marketplace images).
    builtin("Microsoft.DevCenter/devcenters/galleries/images", Any),
    builtin(
        "Microsoft.MachineLearningServices/workspaces/environments",
        NamePrefix("azureml-"),
    ),
    builtin(
        "Microsoft.MachineLearningServices/workspaces/environments/versions",
        ParentNamePrefix("azureml-"),
    ),
    // Asset containers are created with their first version.
    builtin("Microsoft.MachineLearningServices/workspaces/data", Any),
    builtin("Microsoft.MachineLearningServices/workspaces/codes", Any),
    builtin("Microsoft.MachineLearningServices/workspaces/models", Any),
    builtin(
        "Microsoft.MachineLearningServices/workspaces/components",
        Any,
    ),
    // Portal dashboards: `lenses`/`metadata` are opaque objects the Portal
    // RP stores as given (REST spec `DashboardProperties`: "lenses:
    // object", learn.microsoft.com/azure/templates/microsoft.portal/
    // dashboards); a tile naming a missing resource shows an error when
    // rendered, the PUT succeeds.
    Entry {
        opaque_references: true,
        ..E.with("Microsoft.Portal/dashboards")
    },
];

impl Entry {
    const fn with(self, ty: &'static str) -> Entry {
        Entry { ty, ..self }
    }
}

/// A type's facts, resolved through its namespace and last segment to the
/// defaults.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Facts {
    pub name_taken: &'static str,
    pub in_use: &'static str,
    pub put: PutAnswer,
    pub patch_tags_only: bool,
    /// Typical (create, delete) seconds.
    pub seconds: (f64, f64),
    pub name_check_default: bool,
    pub opaque_references: bool,
    pub on_create: Option<OnCreate>,
    list: [&'static [(&'static str, ListShape)]; 3],
    pub builtin: Option<Builtin>,
    pub behaviour: Option<Behaviour>,
    pub default_body: Option<DefaultBody>,
}

impl Facts {
    /// What a type without an entry gets.
    pub const DEFAULT: Facts = Facts {
        name_taken: "NameNotAvailable",
        in_use: "ResourceInUse",
        put: PutAnswer::CreatedOrOk,
        patch_tags_only: false,
        seconds: (10.0, 10.0),
        name_check_default: false,
        opaque_references: false,
        on_create: None,
        list: [&[], &[], &[]],
        builtin: None,
        behaviour: None,
        default_body: None,
    };

    /// The shape of the answer of `function` (any case), if the type has
    /// that `list*()` action.
    pub fn list(&self, function: &str) -> Option<ListShape> {
        self.list
            .iter()
            .flat_map(|l| l.iter())
            .find(|(f, _)| f.eq_ignore_ascii_case(function))
            .map(|(_, s)| *s)
    }
}

fn index() -> &'static HashMap<String, &'static Entry> {
    static INDEX: OnceLock<HashMap<String, &'static Entry>> = OnceLock::new();
    INDEX.get_or_init(|| {
        TABLE
            .iter()
            .map(|e| (e.ty.to_ascii_lowercase(), e))
            .collect()
    })
}

/// The facts of `resource_type` (any case).
pub fn facts(resource_type: &str) -> Facts {
    let t = resource_type.to_ascii_lowercase();
    let idx = index();
    let exact = idx.get(&t).copied();
    let namespace = t
        .split_once('/')
        .and_then(|(ns, _)| idx.get(&format!("{ns}/*")).copied());
    let segment = t
        .rsplit_once('/')
        .and_then(|(_, last)| idx.get(&format!("*/{last}")).copied());
    let chain = [exact, namespace, segment];
    let pick = |f: &dyn Fn(&Entry) -> bool| chain.iter().flatten().any(|e| f(e));
    macro_rules! first {
        ($field:ident, $default:expr) => {
            chain
                .iter()
                .flatten()
                .find_map(|e| e.$field)
                .unwrap_or($default)
        };
    }
    let d = Facts::DEFAULT;
    Facts {
        name_taken: first!(name_taken, d.name_taken),
        in_use: first!(in_use, d.in_use),
        put: first!(put, d.put),
        patch_tags_only: first!(patch_tags_only, d.patch_tags_only),
        seconds: first!(seconds, d.seconds),
        name_check_default: pick(&|e| e.name_check_default),
        opaque_references: pick(&|e| e.opaque_references),
        on_create: chain.iter().flatten().find_map(|e| e.on_create),
        list: chain.map(|e| e.map_or(&[][..], |e| e.list)),
        builtin: chain.iter().flatten().find_map(|e| e.builtin),
        behaviour: exact.and_then(|e| e.behaviour),
        default_body: exact.and_then(|e| e.default_body),
    }
}

/// The type `checkNameAvailability` in `namespace` checks when the request
/// names none.
pub fn name_check_default(namespace: &str) -> Option<&'static str> {
    TABLE
        .iter()
        .find(|e| {
            e.name_check_default
                && e.ty
                    .split_once('/')
                    .is_some_and(|(ns, _)| ns.eq_ignore_ascii_case(namespace))
        })
        .map(|e| e.ty)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    /// The table is well formed: every entry names a type (or `ns/*`, or
    /// `*/segment`) ARM could have, once; codes are ARM-style identifiers;
    /// durations are finite and not negative; list actions are lower-case
    /// and unique per entry; at most one default name check per namespace.
    #[test]
    fn the_table_is_well_formed() {
        let mut seen = HashSet::new();
        let mut defaults = HashSet::new();
        for e in TABLE {
            assert!(
                seen.insert(e.ty.to_ascii_lowercase()),
                "{} is listed twice",
                e.ty
            );
            let segs: Vec<&str> = e.ty.split('/').collect();
            assert!(segs.len() >= 2, "{}: not a type", e.ty);
            for (i, s) in segs.iter().enumerate() {
                let wildcard = *s == "*" && (i == 0 || i == segs.len() - 1);
                assert!(
                    wildcard
                        || (!s.is_empty()
                            && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '.')),
                    "{}: segment '{s}'",
                    e.ty
                );
            }
            if segs[0] != "*" {
                let ns = segs[0];
                assert!(
                    ns.starts_with("Microsoft."),
                    "{}: unexpected namespace",
                    e.ty
                );
                if segs[1] != "*" {
                    let known = azrelo_arm::Availability::embedded()
                        .types()
                        .any(|t| t.namespace().eq_ignore_ascii_case(ns));
                    assert!(
                        known,
                        "{}: namespace unknown to the provider snapshot",
                        e.ty
                    );
                }
            }
            for code in [e.name_taken, e.in_use].into_iter().flatten() {
                assert!(
                    !code.is_empty() && code.chars().all(|c| c.is_ascii_alphanumeric()),
                    "{}: code '{code}'",
                    e.ty
                );
            }
            if let Some((c, d)) = e.seconds {
                assert!(
                    c.is_finite() && d.is_finite() && c >= 0.0 && d >= 0.0,
                    "{}",
                    e.ty
                );
            }
            let mut fns = HashSet::new();
            for (f, _) in e.list {
                assert_eq!(*f, f.to_ascii_lowercase(), "{}: {f}", e.ty);
                assert!(fns.insert(*f), "{}: {f} twice", e.ty);
            }
            if let Some(Names(ns)) = e.builtin {
                for n in ns {
                    assert_eq!(*n, n.to_ascii_lowercase(), "{}: {n}", e.ty);
                }
            }
            if e.name_check_default {
                assert!(defaults.insert(segs[0].to_ascii_lowercase()), "{}", e.ty);
            }
        }
    }

    #[test]
    fn facts_resolve_by_type_then_namespace_then_segment_then_default() {
        let vnet = facts("microsoft.network/VIRTUALNETWORKS");
        assert_eq!(vnet.in_use, "InUseSubnetCannotBeDeleted");
        assert!(vnet.patch_tags_only, "from Microsoft.Network/*");
        assert_eq!(vnet.on_create, Some(OnCreate::NetworkWatcher));
        let rule = facts("Microsoft.EventHub/namespaces/eventhubs/authorizationRules");
        assert_eq!(rule.list("listKeys"), Some(ListShape::SharedAccessRuleKeys));
        assert_eq!(rule.builtin, None);
        let root = facts("Microsoft.ServiceBus/namespaces/authorizationRules");
        assert_eq!(root.list("LISTKEYS"), Some(ListShape::SharedAccessRuleKeys));
        assert!(root.builtin.is_some());
        assert_eq!(facts("Contoso.Widgets/gadgets"), Facts::DEFAULT);
        assert_eq!(
            facts("Microsoft.Storage/storageAccounts").put.status(false),
            (StatusCode::ACCEPTED, false)
        );
        assert_eq!(
            name_check_default("microsoft.storage"),
            Some("Microsoft.Storage/storageAccounts")
        );
        assert_eq!(name_check_default("Microsoft.Compute"), None);
    }

    /// Every type whose name the table says is globally unique (it has a
    /// `name_taken` code or answers the namespace's name check) has a global
    /// name rule in the catalog: the catalog decides, the table only names
    /// the code.
    #[test]
    fn global_name_codes_agree_with_the_catalog() {
        use azrelo_catalog::{Catalog, NameScope};
        for e in TABLE
            .iter()
            .filter(|e| e.name_taken.is_some() || e.name_check_default)
        {
            assert_eq!(
                Catalog::embedded().entry(e.ty).name_rule().scope,
                NameScope::Global,
                "{}",
                e.ty
            );
        }
    }
}
