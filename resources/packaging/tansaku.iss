; Inno Setup script: a double-click installer for the Windows one-folder build.
; Build on Windows (not testable on the Linux build machines):
;   pip install torch==2.13.0 -e ".[packaging]" -c resources\packaging\constraints.txt   (the pinned versions)
;   pyinstaller --noconfirm build.spec
;   "C:\Program Files (x86)\Inno Setup 6\ISCC.exe" resources\packaging\tansaku.iss
; Output: dist\tansaku-<version>-windows-x64-setup.exe. Installs per user by default (no admin prompt); the dialog
; offers an all-users install. Models, index and settings live in the user's data folders, never in {app}.

#define AppName "Tansaku"
#ifndef AppVersion
  #define AppVersion "0.1.0"
#endif
#define AppExe "tansaku.exe"
#define Root AddBackslash(SourcePath) + "..\.."

[Setup]
AppId={{6E4B9B3A-2F1D-4C7E-9A55-7C1F3B0D8E21}
AppName={#AppName}
AppVersion={#AppVersion}
AppPublisher=Tansaku
DefaultDirName={autopf}\{#AppName}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputDir={#Root}\dist
OutputBaseFilename=tansaku-{#AppVersion}-windows-x64-setup
SetupIconFile={#Root}\resources\icons\app\tansaku.ico
UninstallDisplayIcon={app}\{#AppExe}
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
CloseApplications=yes

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
Source: "{#Root}\dist\tansaku\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\{#AppName}"; Filename: "{app}\{#AppExe}"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppExe}"; Tasks: desktopicon

[Run]
Filename: "{app}\{#AppExe}"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent

