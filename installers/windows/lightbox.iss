; Lightbox for Windows: a per-user installer (no administrator rights) around the
; PyInstaller bundle dist\Lightbox\. Build it with Inno Setup 6.3 or later:
;     iscc /DAppVersion=0.1.0 installers\windows\lightbox.iss
; Steps from a fresh checkout: installers\windows\README.md. Paths below are relative to
; this file's folder.

#ifndef AppVersion
  #error Pass the version: iscc /DAppVersion=X.Y.Z installers\windows\lightbox.iss
#endif
#define AppName "Lightbox"
#define AppExe "Lightbox.exe"
#define BundleDir "..\..\dist\Lightbox"
; ProgIDs and the AutoPlay handler's name: one place, so install and uninstall agree.
#define FileProgId "Lightbox.DicomFile"
#define DiscProgId "Lightbox.Disc"
#define AutoPlayHandler "LightboxOpenMedia"
#define AutoPlayKey "Software\Microsoft\Windows\CurrentVersion\Explorer\AutoplayHandlers"

[Setup]
; Never change AppId: Windows finds the installed copy (upgrade, uninstall) by it.
AppId={{5FC3FED7-FBCC-421D-A2CB-085678FDD00D}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher=The Lightbox developers
; Per user, no UAC prompt: {autopf} is %LOCALAPPDATA%\Programs when not elevated.
PrivilegesRequired=lowest
DefaultDirName={autopf}\{#AppName}
DisableProgramGroupPage=yes
DefaultGroupName={#AppName}
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
MinVersion=10.0
LicenseFile=..\..\LICENSE
SetupIconFile=..\..\resources\icons\lightbox.ico
UninstallDisplayIcon={app}\{#AppExe}
UninstallDisplayName={#AppName}
ChangesAssociations=yes
CloseApplications=yes
OutputDir=..\..\dist
OutputBaseFilename=Lightbox-{#AppVersion}-setup
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
Source: "{#BundleDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\{#AppName}"; Filename: "{app}\{#AppExe}"; Comment: "View the discs radiology clinics hand out"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppExe}"; Tasks: desktopicon

[Registry]
; All under HKCU (per user). Every key this installer creates is removed on uninstall
; (uninsdeletekey); values added to shared keys are removed alone (uninsdeletevalue).

; .dcm files: offered in "Open with" and as a choice for the default. The default itself stays
; the user's decision (Windows 10+ ignores a program that sets it).
Root: HKCU; Subkey: "Software\Classes\.dcm\OpenWithProgids"; ValueType: string; ValueName: "{#FileProgId}"; ValueData: ""; Flags: uninsdeletevalue
Root: HKCU; Subkey: "Software\Classes\{#FileProgId}"; ValueType: string; ValueName: ""; ValueData: "DICOM image"; Flags: uninsdeletekey
Root: HKCU; Subkey: "Software\Classes\{#FileProgId}\DefaultIcon"; ValueType: string; ValueName: ""; ValueData: "{app}\{#AppExe},0"
Root: HKCU; Subkey: "Software\Classes\{#FileProgId}\shell\open\command"; ValueType: string; ValueName: ""; ValueData: """{app}\{#AppExe}"" view ""%1"""
Root: HKCU; Subkey: "Software\Classes\Applications\{#AppExe}"; ValueType: string; ValueName: "FriendlyAppName"; ValueData: "{#AppName}"; Flags: uninsdeletekey
Root: HKCU; Subkey: "Software\Classes\Applications\{#AppExe}\SupportedTypes"; ValueType: string; ValueName: ".dcm"; ValueData: ""
Root: HKCU; Subkey: "Software\Classes\Applications\{#AppExe}\shell\open\command"; ValueType: string; ValueName: ""; ValueData: """{app}\{#AppExe}"" view ""%1"""

; AutoPlay: inserting a clinic's CD, DVD or USB stick offers "Open with Lightbox".
; The handler invokes the verb "open" of the ProgID below with the drive root as %L.
; %L is left unquoted on purpose: a root is "D:\" (no space), and a quoted "D:\" would reach
; the program as D:" (a backslash before a quote escapes it on Windows command lines).
Root: HKCU; Subkey: "Software\Classes\{#DiscProgId}"; ValueType: string; ValueName: ""; ValueData: "Medical images on a disc"; Flags: uninsdeletekey
Root: HKCU; Subkey: "Software\Classes\{#DiscProgId}\shell\open\command"; ValueType: string; ValueName: ""; ValueData: """{app}\{#AppExe}"" view %L"
Root: HKCU; Subkey: "{#AutoPlayKey}\Handlers\{#AutoPlayHandler}"; ValueType: string; ValueName: "Action"; ValueData: "Open with {#AppName}"; Flags: uninsdeletekey
Root: HKCU; Subkey: "{#AutoPlayKey}\Handlers\{#AutoPlayHandler}"; ValueType: string; ValueName: "Provider"; ValueData: "{#AppName}"
Root: HKCU; Subkey: "{#AutoPlayKey}\Handlers\{#AutoPlayHandler}"; ValueType: string; ValueName: "DefaultIcon"; ValueData: "{app}\{#AppExe},0"
Root: HKCU; Subkey: "{#AutoPlayKey}\Handlers\{#AutoPlayHandler}"; ValueType: string; ValueName: "InvokeProgID"; ValueData: "{#DiscProgId}"
Root: HKCU; Subkey: "{#AutoPlayKey}\Handlers\{#AutoPlayHandler}"; ValueType: string; ValueName: "InvokeVerb"; ValueData: "open"
; A clinic's disc is seen as mixed content (images, a viewer .exe, DICOMDIR), as pictures
; (when it carries JPEG previews) or as unknown content (DICOM files only).
Root: HKCU; Subkey: "{#AutoPlayKey}\EventHandlers\MixedContentOnArrival"; ValueType: string; ValueName: "{#AutoPlayHandler}"; ValueData: ""; Flags: uninsdeletevalue
Root: HKCU; Subkey: "{#AutoPlayKey}\EventHandlers\ShowPicturesOnArrival"; ValueType: string; ValueName: "{#AutoPlayHandler}"; ValueData: ""; Flags: uninsdeletevalue
Root: HKCU; Subkey: "{#AutoPlayKey}\EventHandlers\UnknownContentOnArrival"; ValueType: string; ValueName: "{#AutoPlayHandler}"; ValueData: ""; Flags: uninsdeletevalue

[Run]
Filename: "{app}\{#AppExe}"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent

[UninstallDelete]
; The program folder only (files the app may have left next to itself, e.g. __pycache__).
; The user's library, settings and logs (LIGHTBOX_HOME, by default in the user's
; application data folder) are NOT removed: they hold the patient's images.
Type: filesandordirs; Name: "{app}"
