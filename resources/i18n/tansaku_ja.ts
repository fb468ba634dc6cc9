<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="ja_JP">
<context>
    <name>AppController</name>
    <message>
        <source>The models are not on this computer yet.</source>
        <translation>モデルがまだこのコンピューターにありません。</translation>
    </message>
    <message>
        <source>Download cancelled.</source>
        <translation>ダウンロードを中止しました。</translation>
    </message>
</context>
<context>
    <name>ChatController</name>
    <message>
        <source>Stopped.</source>
        <translation>中止しました。</translation>
    </message>
</context>
<context>
    <name>ChatPane</name>
    <message>
        <source>&lt;h2&gt;Ask your documents&lt;/h2&gt;</source>
        <translation>&lt;h2&gt;ドキュメントに質問する&lt;/h2&gt;</translation>
    </message>
    <message>
        <source>&lt;p&gt;Drag a folder onto this window, or press &lt;b&gt;Ctrl+O&lt;/b&gt; to choose one. Tansaku indexes it and answers questions with the passages it used, numbered like [1].&lt;/p&gt;</source>
        <translation>&lt;p&gt;フォルダーをこのウィンドウにドラッグするか、&lt;b&gt;Ctrl+O&lt;/b&gt; で選んでください。Tansaku がインデックスを作成し、質問には根拠となった箇所を [1] のような番号付きで示して答えます。&lt;/p&gt;</translation>
    </message>
    <message>
        <source>&lt;p&gt;&lt;a href=&quot;{add}&quot;&gt;Add a folder…&lt;/a&gt; &amp;nbsp;·&amp;nbsp; &lt;a href=&quot;{samples}&quot;&gt;Try the sample documents&lt;/a&gt;&lt;/p&gt;</source>
        <translation>&lt;p&gt;&lt;a href=&quot;{add}&quot;&gt;フォルダーを追加…&lt;/a&gt; &amp;nbsp;·&amp;nbsp; &lt;a href=&quot;{samples}&quot;&gt;サンプル文書を試す&lt;/a&gt;&lt;/p&gt;</translation>
    </message>
    <message>
        <source>&lt;p&gt;Type a question below. &lt;b&gt;Ctrl+L&lt;/b&gt; jumps here, &lt;b&gt;Esc&lt;/b&gt; stops.&lt;/p&gt;</source>
        <translation>&lt;p&gt;下の欄に質問を入力してください。&lt;b&gt;Ctrl+L&lt;/b&gt; で入力欄へ移動、&lt;b&gt;Esc&lt;/b&gt; で回答を中止します。&lt;/p&gt;</translation>
    </message>
    <message>
        <source>Ask a question about your documents…  (Enter sends, Shift+Enter for a new line)</source>
        <translation>ドキュメントについて質問…  (Enter で送信、Shift+Enter で改行)</translation>
    </message>
    <message>
        <source>New chat</source>
        <translation>新しいチャット</translation>
    </message>
    <message>
        <source>New chat (Ctrl+N)</source>
        <translation>新しいチャット (Ctrl+N)</translation>
    </message>
    <message>
        <source>Ask</source>
        <translation>質問</translation>
    </message>
    <message>
        <source>Stop</source>
        <translation>中止</translation>
    </message>
    <message>
        <source>Stop the answer (Esc)</source>
        <translation>回答を中止 (Esc)</translation>
    </message>
    <message>
        <source>Ask (Enter)</source>
        <translation>質問する (Enter)</translation>
    </message>
</context>
<context>
    <name>EngineWorker</name>
    <message>
        <source>Unexpected error ({error}: {message}). Details are in the log.</source>
        <translation>予期しないエラーが発生しました ({error}: {message})。詳細はログを確認してください。</translation>
    </message>
</context>
<context>
    <name>ExcludesDialog</name>
    <message>
        <source>Files matching these patterns are not indexed (.gitignore syntax, one per line: &lt;code&gt;*.log&lt;/code&gt;, &lt;code&gt;build/&lt;/code&gt;, &lt;code&gt;drafts/**/*.tmp&lt;/code&gt;). Version-control folders, node_modules, __pycache__, virtual environments, hidden, temporary and lock files are always left out.</source>
        <translation>次のパターンに一致するファイルはインデックスに含めません (.gitignore と同じ書式で 1 行に 1 つ: &lt;code&gt;*.log&lt;/code&gt;、&lt;code&gt;build/&lt;/code&gt;、&lt;code&gt;drafts/**/*.tmp&lt;/code&gt;)。バージョン管理のフォルダー、node_modules、__pycache__、仮想環境、隠しファイル、一時ファイル、ロックファイルは常に除外されます。</translation>
    </message>
    <message>
        <source>Exclusions — {name}</source>
        <translation>除外設定 — {name}</translation>
    </message>
</context>
<context>
    <name>HistoryList</name>
    <message>
        <source>Chats</source>
        <translation>チャット履歴</translation>
    </message>
    <message>
        <source>Open</source>
        <translation>開く</translation>
    </message>
    <message>
        <source>Delete</source>
        <translation>削除</translation>
    </message>
</context>
<context>
    <name>LibraryController</name>
    <message>
        <source>Keyword search starts once the embedding model is on this computer</source>
        <translation>埋め込みモデルがこのコンピューターに入るとキーワード検索を始めます</translation>
    </message>
    <message>
        <source>Stopped; re-index to continue where it left off</source>
        <translation>中断しました。再インデックスすると途中から再開します</translation>
    </message>
    <message>
        <source>{n} file waits for the embedding model</source>
        <translation>{n} 件のファイルが埋め込みモデルを待っています</translation>
    </message>
    <message>
        <source>{n} files wait for the embedding model</source>
        <translation>{n} 件のファイルが埋め込みモデルを待っています</translation>
    </message>
    <message>
        <source>{n} file not indexed yet</source>
        <translation>未インデックスのファイル {n} 件</translation>
    </message>
    <message>
        <source>{n} files not indexed yet</source>
        <translation>未インデックスのファイル {n} 件</translation>
    </message>
    <message>
        <source>Only folders can be added: {path} is not a folder.</source>
        <translation>追加できるのはフォルダーだけです:「{path}」はフォルダーではありません。</translation>
    </message>
    <message>
        <source>Removed {path} and its index.</source>
        <translation>「{path}」とそのインデックスを削除しました。</translation>
    </message>
    <message>
        <source>Indexing of {path} stopped; re-index to continue where it left off.</source>
        <translation>「{path}」のインデックス作成を中断しました。再インデックスすると途中から再開します。</translation>
    </message>
    <message>
        <source>{name}: keyword search ready; {waiting}.</source>
        <translation>{name}: キーワード検索できます。{waiting}。</translation>
    </message>
    <message>
        <source>{name}: {indexed} indexed, {unchanged} unchanged, {failed} failed.</source>
        <translation>{name}: 追加・更新 {indexed} 件、変更なし {unchanged} 件、失敗 {failed} 件。</translation>
    </message>
    <message>
        <source>{name}: {indexed} indexed, {unchanged} unchanged.</source>
        <translation>{name}: 追加・更新 {indexed} 件、変更なし {unchanged} 件。</translation>
    </message>
</context>
<context>
    <name>LibraryPanel</name>
    <message>
        <source>Indexing</source>
        <translation>インデックス作成中</translation>
    </message>
    <message>
        <source>Queued</source>
        <translation>待機中</translation>
    </message>
    <message>
        <source>Paused</source>
        <translation>一時停止中</translation>
    </message>
    <message>
        <source>Ready</source>
        <translation>準備完了</translation>
    </message>
    <message>
        <source>Keyword search ready</source>
        <translation>キーワード検索可能</translation>
    </message>
    <message>
        <source>Incomplete</source>
        <translation>未完了</translation>
    </message>
    <message>
        <source>Waiting for the models</source>
        <translation>モデルの準備待ち</translation>
    </message>
    <message>
        <source>Error</source>
        <translation>エラー</translation>
    </message>
    <message>
        <source>Not indexed yet</source>
        <translation>未インデックス</translation>
    </message>
    <message>
        <source>{done}/{total} files</source>
        <translation>{done}/{total} ファイル</translation>
    </message>
    <message>
        <source>Error: {detail}</source>
        <translation>エラー: {detail}</translation>
    </message>
    <message>
        <source>{n} failed</source>
        <translation>失敗 {n} 件</translation>
    </message>
    <message>
        <source>re-index to continue</source>
        <translation>再インデックスで再開</translation>
    </message>
    <message>
        <source>{indexed} indexed, {skipped} skipped, {failed} failed, {pending} pending</source>
        <translation>インデックス済み {indexed} 件、スキップ {skipped} 件、失敗 {failed} 件、未処理 {pending} 件</translation>
    </message>
    <message>
        <source>Last indexed: {when}</source>
        <translation>最終インデックス: {when}</translation>
    </message>
    <message>
        <source>Libraries</source>
        <translation>ライブラリ</translation>
    </message>
    <message>
        <source>Add a folder (Ctrl+O)</source>
        <translation>フォルダーを追加 (Ctrl+O)</translation>
    </message>
    <message>
        <source>Drop folders here, or click + to add one.</source>
        <translation>ここにフォルダーをドロップするか、+ をクリックして追加します。</translation>
    </message>
    <message>
        <source>Re-index the selected library</source>
        <translation>選択したライブラリを再インデックス</translation>
    </message>
    <message>
        <source>What was indexed, skipped or failed</source>
        <translation>インデックス済み・スキップ・失敗したファイルの一覧</translation>
    </message>
    <message>
        <source>Remove the selected library</source>
        <translation>選択したライブラリを削除</translation>
    </message>
    <message>
        <source>Re-index</source>
        <translation>再インデックス</translation>
    </message>
    <message>
        <source>Retry failed files</source>
        <translation>失敗したファイルを再試行</translation>
    </message>
    <message>
        <source>File report…</source>
        <translation>ファイルレポート…</translation>
    </message>
    <message>
        <source>Exclusions…</source>
        <translation>除外設定…</translation>
    </message>
    <message>
        <source>Show in file manager</source>
        <translation>ファイルマネージャーで表示</translation>
    </message>
    <message>
        <source>Remove…</source>
        <translation>削除…</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <source>&amp;Add folder…</source>
        <translation>フォルダーを追加(&amp;A)…</translation>
    </message>
    <message>
        <source>&amp;Settings…</source>
        <translation>設定(&amp;S)…</translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation>終了(&amp;Q)</translation>
    </message>
    <message>
        <source>&amp;New chat</source>
        <translation>新しいチャット(&amp;N)</translation>
    </message>
    <message>
        <source>Ask a &amp;question</source>
        <translation>質問を入力(&amp;Q)</translation>
    </message>
    <message>
        <source>&amp;Stop answering</source>
        <translation>回答を中止(&amp;S)</translation>
    </message>
    <message>
        <source>&amp;File</source>
        <translation>ファイル(&amp;F)</translation>
    </message>
    <message>
        <source>&amp;Chat</source>
        <translation>チャット(&amp;C)</translation>
    </message>
    <message>
        <source>&amp;Help</source>
        <translation>ヘルプ(&amp;H)</translation>
    </message>
    <message>
        <source>Try the &amp;sample documents</source>
        <translation>サンプル文書を試す(&amp;S)</translation>
    </message>
    <message>
        <source>&amp;About Tansaku</source>
        <translation>Tansaku について(&amp;A)</translation>
    </message>
    <message>
        <source>Adding {folders}…</source>
        <translation>{folders}を追加しています…</translation>
    </message>
    <message>
        <source>Add a folder to Tansaku</source>
        <translation>Tansaku にフォルダーを追加</translation>
    </message>
    <message>
        <source>Could not copy the sample documents</source>
        <translation>サンプル文書をコピーできませんでした</translation>
    </message>
    <message>
        <source>Remove {name} from Tansaku?

{path}

Its index is deleted; the files themselves are not touched.</source>
        <translation>「{name}」を Tansaku から削除しますか？

{path}

インデックスは削除されますが、ファイル自体には手を加えません。</translation>
    </message>
    <message>
        <source>Remove library</source>
        <translation>ライブラリを削除</translation>
    </message>
    <message>
        <source>Embedding: {embedder}
Reranker: {reranker}</source>
        <translation>埋め込みモデル: {embedder}
再ランキングモデル: {reranker}</translation>
    </message>
    <message>
        <source>Index: {files} · {chunks}</source>
        <translation>インデックス: {files} · {chunks}</translation>
    </message>
    <message>
        <source>Store: {store}
Data: {data}</source>
        <translation>保存先: {store}
データ: {data}</translation>
    </message>
    <message>
        <source> · rebuilding the index (the old one answers meanwhile)</source>
        <translation> · インデックスを再構築中 (その間は以前のインデックスで回答します)</translation>
    </message>
    <message>
        <source>This version of Tansaku stores the index differently; until the new index covers every library, questions are answered from the old one.</source>
        <translation>このバージョンの Tansaku はインデックスの保存形式が変わりました。新しいインデックスがすべてのライブラリをカバーするまでは、以前のインデックスで質問に回答します。</translation>
    </message>
    <message>
        <source> · answering from the previous model&apos;s index</source>
        <translation> · 以前のモデルのインデックスで回答中</translation>
    </message>
    <message>
        <source>Re-embedding with {new}; until it covers every library, questions are answered from the index built with {old}.</source>
        <translation>{new} で再埋め込み中です。すべてのライブラリが完了するまでは、{old} で作成したインデックスで回答します。</translation>
    </message>
    <message>
        <source>Tansaku could not open its index</source>
        <translation>Tansaku はインデックスを開けませんでした</translation>
    </message>
    <message>
        <source>Drop folders (not single files) to add them as libraries.</source>
        <translation>ライブラリとして追加するには、ファイルではなくフォルダーをドロップしてください。</translation>
    </message>
    <message>
        <source>About Tansaku</source>
        <translation>Tansaku について</translation>
    </message>
    <message>
        <source>&lt;b&gt;Tansaku&lt;/b&gt;&lt;br&gt;Ask questions about your own folders, with answers that cite the exact passages.&lt;br&gt;Qwen3 embeddings and reranker, Milvus, and any OpenAI-compatible endpoint.</source>
        <translation>&lt;b&gt;Tansaku&lt;/b&gt;&lt;br&gt;手元のフォルダーに質問し、根拠の箇所を出典として示す回答を得られます。&lt;br&gt;Qwen3 の埋め込み・再ランキングモデル、Milvus、OpenAI 互換の任意のエンドポイントを使用します。</translation>
    </message>
    <message>
        <source>The new language applies when Tansaku restarts.</source>
        <translation>新しい言語は Tansaku の再起動後に反映されます。</translation>
    </message>
</context>
<context>
    <name>ModelBanner</name>
    <message>
        <source>Download</source>
        <translation>ダウンロード</translation>
    </message>
    <message>
        <source>Use local folders…</source>
        <translation>手元のフォルダーを使う…</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>キャンセル</translation>
    </message>
    <message>
        <source>Not now</source>
        <translation>後で</translation>
    </message>
    <message>
        <source>Try again</source>
        <translation>再試行</translation>
    </message>
</context>
<context>
    <name>OpenFailed</name>
    <message>
        <source>Could not show the folder</source>
        <translation>フォルダーを表示できませんでした</translation>
    </message>
    <message>
        <source>No file manager could be started to show this folder:</source>
        <translation>このフォルダーを表示するファイルマネージャーを起動できませんでした:</translation>
    </message>
    <message>
        <source>Could not open the file</source>
        <translation>ファイルを開けませんでした</translation>
    </message>
    <message>
        <source>No app could be started to open this file:</source>
        <translation>このファイルを開くアプリを起動できませんでした:</translation>
    </message>
    <message>
        <source>Copy path</source>
        <translation>パスをコピー</translation>
    </message>
</context>
<context>
    <name>ProgressPanel</name>
    <message>
        <source>Pause</source>
        <translation>一時停止</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>キャンセル</translation>
    </message>
    <message>
        <source>Stop indexing; what is stored stays, and re-index continues from there</source>
        <translation>インデックス作成を中止します。保存済みの内容は残り、再インデックスすると続きから再開します</translation>
    </message>
    <message>
        <source>Paused {name}</source>
        <translation>「{name}」を一時停止中</translation>
    </message>
    <message>
        <source>Indexing {name}</source>
        <translation>「{name}」をインデックス作成中</translation>
    </message>
    <message>
        <source>(+{n} queued)</source>
        <translation>(ほか {n} 件待機中)</translation>
    </message>
    <message>
        <source>Resume</source>
        <translation>再開</translation>
    </message>
    <message>
        <source>Starting…</source>
        <translation>開始しています…</translation>
    </message>
</context>
<context>
    <name>Ranking</name>
    <message>
        <source>Keyword matches so far · searching by meaning…</source>
        <translation>ここまではキーワード一致 · 意味で検索中…</translation>
    </message>
    <message>
        <source>Ranking…</source>
        <translation>並べ替え中…</translation>
    </message>
    <message>
        <source>Not ranked: the reranker needs about {seconds} s a passage here, and its {budget} s (Settings → Models) fit fewer than two</source>
        <translation>並べ替えなし: このコンピューターではリランカーが 1 件に約 {seconds} 秒かかり、割り当ての {budget} 秒 (設定 → モデル) では 2 件に足りません</translation>
    </message>
    <message>
        <source>Stopped before the search by meaning: keyword matches only</source>
        <translation>意味での検索の前に停止: キーワード一致のみ</translation>
    </message>
    <message>
        <source>{ranked} of {candidates} ranked by the reranker in {seconds} s; the rest keep keyword + meaning order</source>
        <translation>リランカーが {candidates} 件中 {ranked} 件を {seconds} 秒で並べ替えました。残りはキーワードと意味による順位のままです</translation>
    </message>
    <message>
        <source>Not ranked by the reranker: keyword + meaning order</source>
        <translation>リランカーで並べ替えていません (キーワードと意味による順位)</translation>
    </message>
    <message>
        <source>These passages contain words of the question. The search by meaning is still running; the list reorders in place when it is done.</source>
        <translation>これらの箇所には質問の語が含まれています。意味での検索はまだ実行中で、終わるとこの一覧がその場で並べ替わります。</translation>
    </message>
    <message>
        <source>The reranker reads each passage in full, which takes this computer longer than the time set for it. Ranking a single passage could not change the order, so none was ranked and the answer came sooner. Raise the time in Settings → Models to have the best candidates ranked.</source>
        <translation>リランカーは各箇所を全文読むため、このコンピューターでは設定された時間より長くかかります。1 件だけ並べ替えても順序は変わらないので、どれも並べ替えず、その分早く回答しました。上位の候補を並べ替えるには、設定 → モデルで時間を増やしてください。</translation>
    </message>
    <message>
        <source>The question ended before the search by meaning finished, so these are the passages that contain its words, in keyword order.</source>
        <translation>意味での検索が終わる前に質問が終了したため、質問の語を含む箇所をキーワードの順で表示しています。</translation>
    </message>
    <message>
        <source>Shown in keyword + meaning order for now. The reranker is reading the passages to put the ones that answer the question first; the list reorders in place when it is done.</source>
        <translation>いまはキーワードと意味による順位で表示しています。質問に答えている箇所が上に来るよう、リランカーが各箇所を読んでいます。終わるとこの一覧がその場で並べ替わります。</translation>
    </message>
    <message>
        <source>The reranker reads passages in keyword + meaning order until its time is spent (set in Settings → Models). The ones it ranked come first; the others follow in keyword + meaning order.</source>
        <translation>リランカーは、キーワードと意味による順位の高いものから、使える時間 (設定 → モデルで指定) がなくなるまで箇所を読みます。並べ替えた箇所が先に並び、残りはその後にキーワードと意味による順位で続きます。</translation>
    </message>
    <message>
        <source>The question ended before the reranker finished, so the passages keep the order in which keyword and meaning search found them.</source>
        <translation>リランカーが終わる前に質問が終了したため、各箇所はキーワードと意味による検索で見つかった順のままです。</translation>
    </message>
</context>
<context>
    <name>Rendering</name>
    <message>
        <source>p. {page}</source>
        <translation>{page} ページ</translation>
    </message>
</context>
<context>
    <name>ReportDialog</name>
    <message>
        <source>All files</source>
        <translation>すべてのファイル</translation>
    </message>
    <message>
        <source>Indexed</source>
        <translation>インデックス済み</translation>
    </message>
    <message>
        <source>Skipped</source>
        <translation>スキップ</translation>
    </message>
    <message>
        <source>Failed</source>
        <translation>失敗</translation>
    </message>
    <message>
        <source>Pending</source>
        <translation>未処理</translation>
    </message>
    <message>
        <source>File</source>
        <translation>ファイル</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>状態</translation>
    </message>
    <message>
        <source>Reason</source>
        <translation>理由</translation>
    </message>
    <message>
        <source>Chunks</source>
        <translation>チャンク数</translation>
    </message>
    <message>
        <source>indexed</source>
        <translation>インデックス済み</translation>
    </message>
    <message>
        <source>skipped</source>
        <translation>スキップ</translation>
    </message>
    <message>
        <source>failed</source>
        <translation>失敗</translation>
    </message>
    <message>
        <source>pending</source>
        <translation>未処理</translation>
    </message>
    <message>
        <source>Text stored (keyword search finds it); its embeddings are still to come</source>
        <translation>本文は保存済み (キーワード検索で見つかります)。埋め込みはこれから計算します</translation>
    </message>
    <message>
        <source>{indexed} indexed · {skipped} skipped · {failed} failed · {pending} pending</source>
        <translation>インデックス済み {indexed} 件 · スキップ {skipped} 件 · 失敗 {failed} 件 · 未処理 {pending} 件</translation>
    </message>
    <message>
        <source>File report — {name}</source>
        <translation>ファイルレポート — {name}</translation>
    </message>
    <message>
        <source>Filter by name or reason</source>
        <translation>名前または理由で絞り込み</translation>
    </message>
    <message>
        <source>Retry failed</source>
        <translation>失敗分を再試行</translation>
    </message>
    <message>
        <source>Exclusions…</source>
        <translation>除外設定…</translation>
    </message>
</context>
<context>
    <name>RerankBudget</name>
    <message>
        <source>The reranker reads the passages that keyword + meaning search found, best first, until this time is spent. The passages it did not reach keep their keyword + meaning order, below the ranked ones. More time gives a better order and a later answer; 0 means no limit.</source>
        <translation>リランカーは、キーワードと意味による検索で見つかった箇所を順位の高いものから、この時間を使い切るまで読みます。読み切れなかった箇所は、並べ替えた箇所の下にキーワードと意味による順位のまま並びます。時間を長くすると順位はより的確になりますが、回答は遅くなります。0 にすると時間の制限はありません。</translation>
    </message>
    <message>
        <source>spend up to </source>
        <translation>最大 </translation>
    </message>
    <message>
        <source> s</source>
        <translation> 秒</translation>
    </message>
    <message>
        <source>no time limit</source>
        <translation>時間の制限なし</translation>
    </message>
    <message>
        <source>Ranking on the CPU:</source>
        <translation>CPU での並べ替え:</translation>
    </message>
    <message>
        <source>Ranking on a GPU:</source>
        <translation>GPU での並べ替え:</translation>
    </message>
</context>
<context>
    <name>SettingsDialog</name>
    <message>
        <source>Automatic</source>
        <translation>自動</translation>
    </message>
    <message>
        <source>GPU (CUDA)</source>
        <translation>GPU (CUDA)</translation>
    </message>
    <message>
        <source>Apple GPU (MPS)</source>
        <translation>Apple GPU (MPS)</translation>
    </message>
    <message>
        <source>Automatic (int8 where the CPU has VNNI, else bf16 or fp32)</source>
        <translation>自動 (CPU が VNNI 対応なら int8、それ以外は bf16 または fp32)</translation>
    </message>
    <message>
        <source>int8 (fastest)</source>
        <translation>int8 (最速)</translation>
    </message>
    <message>
        <source>fp32 (exact)</source>
        <translation>fp32 (高精度)</translation>
    </message>
    <message>
        <source>Automatic (PyTorch)</source>
        <translation>自動 (PyTorch)</translation>
    </message>
    <message>
        <source>OpenVINO (converts the model once)</source>
        <translation>OpenVINO (初回にモデルを変換)</translation>
    </message>
    <message>
        <source>System language</source>
        <translation>システムの言語</translation>
    </message>
    <message>
        <source>Checking the keyring…</source>
        <translation>キーリングを確認しています…</translation>
    </message>
    <message>
        <source>Saving to the OS keyring…</source>
        <translation>OS のキーリングに保存しています…</translation>
    </message>
    <message>
        <source>user:password or an API key (kept in the OS keyring)</source>
        <translation>user:password または API キー (OS のキーリングに保存)</translation>
    </message>
    <message>
        <source>A key is set in the {var} environment variable (it takes precedence).</source>
        <translation>環境変数 {var} にキーが設定されています (こちらが優先されます)。</translation>
    </message>
    <message>
        <source>A key is stored in the OS keyring.</source>
        <translation>キーは OS のキーリングに保存されています。</translation>
    </message>
    <message>
        <source>No key is set: questions are answered with the matching passages only (search only).</source>
        <translation>キーが設定されていません。質問には該当箇所の一覧だけで答えます (検索のみ)。</translation>
    </message>
    <message>
        <source>The token comes from the {var} environment variable (it takes precedence).</source>
        <translation>トークンは環境変数 {var} から読み込まれています (こちらが優先されます)。</translation>
    </message>
    <message>
        <source>A token for this server is stored in the OS keyring; type a new one to replace it.</source>
        <translation>このサーバーのトークンは OS のキーリングに保存されています。置き換えるには新しいトークンを入力してください。</translation>
    </message>
    <message>
        <source>No OS keyring: a token typed here is kept for this session only. Set {var} instead.</source>
        <translation>OS のキーリングがありません。ここに入力したトークンはこのセッションの間だけ保持されます。代わりに {var} を設定してください。</translation>
    </message>
    <message>
        <source>No OS keyring: the Milvus token is kept for this session only.</source>
        <translation>OS のキーリングがありません。Milvus のトークンはこのセッションの間だけ保持されます。</translation>
    </message>
    <message>
        <source>{error} So the Milvus token is kept for this session only.</source>
        <translation>{error} そのため、Milvus のトークンはこのセッションの間だけ保持されます。</translation>
    </message>
    <message>
        <source>The OS keyring failed ({error}).</source>
        <translation>OS のキーリングでエラーが発生しました ({error})。</translation>
    </message>
    <message>
        <source>Tansaku Settings</source>
        <translation>Tansaku の設定</translation>
    </message>
    <message>
        <source>Answers</source>
        <translation>回答</translation>
    </message>
    <message>
        <source>Models</source>
        <translation>モデル</translation>
    </message>
    <message>
        <source>Storage</source>
        <translation>保存先</translation>
    </message>
    <message>
        <source>Exclusions</source>
        <translation>除外設定</translation>
    </message>
    <message>
        <source>Window</source>
        <translation>表示</translation>
    </message>
    <message>
        <source>Remove stored key</source>
        <translation>保存済みのキーを削除</translation>
    </message>
    <message>
        <source>https://api.openai.com/v1 — or a local server, e.g. http://localhost:11434/v1</source>
        <translation>https://api.openai.com/v1 — またはローカルサーバー (例: http://localhost:11434/v1)</translation>
    </message>
    <message>
        <source>API key:</source>
        <translation>API キー:</translation>
    </message>
    <message>
        <source>Base URL:</source>
        <translation>ベース URL:</translation>
    </message>
    <message>
        <source>Chat model:</source>
        <translation>チャットモデル:</translation>
    </message>
    <message>
        <source>Questions, and the passages retrieved for them, are sent to this endpoint. With a local server (Ollama, llama.cpp, vLLM) nothing leaves your computer.</source>
        <translation>質問と、そのために検索した箇所はこのエンドポイントに送信されます。ローカルサーバー (Ollama、llama.cpp、vLLM) を使えば、データはコンピューターの外に出ません。</translation>
    </message>
    <message>
        <source>Folder…</source>
        <translation>フォルダー…</translation>
    </message>
    <message>
        <source>Rerank candidates (better answers, slower on CPU)</source>
        <translation>候補を再ランキングする (回答の質が上がりますが、CPU では遅くなります)</translation>
    </message>
    <message>
        <source>OpenVINO runs the embedding model on a CPU, in the precision chosen above. It converts the model once (a few minutes for the 0.6B model) and keeps the result in the data folder. On a CPU without VNNI its int8 was no faster than PyTorch; it may be faster on one with VNNI (see README). If the conversion fails, or OpenVINO has no build for this computer, PyTorch is used and the status bar&apos;s device says why.</source>
        <translation>OpenVINO は埋め込みモデルを CPU で、上で選んだ精度で実行します。最初に一度だけモデルを変換し (0.6B モデルで数分)、結果をデータフォルダーに保存します。VNNI のない CPU では int8 でも PyTorch より速くなりませんでした。VNNI のある CPU では速くなる可能性があります (README 参照)。変換に失敗した場合や、このコンピューター向けの OpenVINO がない場合は PyTorch を使い、ステータスバーのデバイス表示に理由が出ます。</translation>
    </message>
    <message>
        <source>Full (model default)</source>
        <translation>最大 (モデルの既定値)</translation>
    </message>
    <message>
        <source>Embedding model:</source>
        <translation>埋め込みモデル:</translation>
    </message>
    <message>
        <source>Reranker model:</source>
        <translation>再ランキングモデル:</translation>
    </message>
    <message>
        <source>Device:</source>
        <translation>デバイス:</translation>
    </message>
    <message>
        <source>Precision on CPU:</source>
        <translation>CPU での精度:</translation>
    </message>
    <message>
        <source>Embedding runtime on CPU:</source>
        <translation>CPU での埋め込み実行環境:</translation>
    </message>
    <message>
        <source>Dimensions:</source>
        <translation>次元数:</translation>
    </message>
    <message>
        <source>Candidates:</source>
        <translation>候補数:</translation>
    </message>
    <message>
        <source>Sources in answers (top n):</source>
        <translation>回答に使う出典数 (上位 n 件):</translation>
    </message>
    <message>
        <source>Query instruction:</source>
        <translation>クエリ用の指示文:</translation>
    </message>
    <message>
        <source>Reranker instruction:</source>
        <translation>再ランキング用の指示文:</translation>
    </message>
    <message>
        <source>0.6B runs well on a laptop CPU; 4B and 8B want a GPU. Changing the embedding model or dimensions re-indexes your libraries in the background; the old index keeps answering until then.</source>
        <translation>0.6B はノート PC の CPU でも快適に動きます。4B と 8B には GPU をおすすめします。埋め込みモデルや次元数を変えると、ライブラリはバックグラウンドで再インデックスされ、完了までは古いインデックスで回答します。</translation>
    </message>
    <message>
        <source>Empty: Milvus Lite in the data folder. Or a server: http://host:19530</source>
        <translation>空欄: データフォルダー内の Milvus Lite を使用。サーバーの場合: http://host:19530</translation>
    </message>
    <message>
        <source>Remove stored token</source>
        <translation>保存済みのトークンを削除</translation>
    </message>
    <message>
        <source>Data folder:</source>
        <translation>データフォルダー:</translation>
    </message>
    <message>
        <source>Milvus server URI:</source>
        <translation>Milvus サーバーの URI:</translation>
    </message>
    <message>
        <source>Milvus token:</source>
        <translation>Milvus トークン:</translation>
    </message>
    <message>
        <source>The data folder holds the index, the file manifest, chat history and downloaded models.</source>
        <translation>データフォルダーには、インデックス、ファイル一覧、チャット履歴、ダウンロードしたモデルが保存されます。</translation>
    </message>
    <message>
        <source>Patterns left out of every library (.gitignore syntax, one per line). Each library can add its own from its menu (Exclusions…).</source>
        <translation>すべてのライブラリで除外するパターンです (.gitignore と同じ書式で 1 行に 1 つ)。ライブラリごとの除外は、各ライブラリのメニュー (除外設定…) から追加できます。</translation>
    </message>
    <message>
        <source>Language:</source>
        <translation>言語:</translation>
    </message>
    <message>
        <source>A new language applies the next time Tansaku starts. System language follows the computer&apos;s settings (English where Tansaku has no translation).</source>
        <translation>言語の変更は次回 Tansaku を起動したときに反映されます。「システムの言語」はコンピューターの設定に従います (翻訳がない言語では英語になります)。</translation>
    </message>
    <message>
        <source>Choose a model folder (with config.json)</source>
        <translation>モデルフォルダーを選択 (config.json を含むもの)</translation>
    </message>
    <message>
        <source>Choose the data folder</source>
        <translation>データフォルダーを選択</translation>
    </message>
    <message>
        <source>sk-…  (stored in the OS keyring)</source>
        <translation>sk-…  (OS のキーリングに保存)</translation>
    </message>
    <message>
        <source>No OS keyring available</source>
        <translation>OS のキーリングが使えません</translation>
    </message>
    <message>
        <source>Kept for this session only</source>
        <translation>このセッションの間だけ保持</translation>
    </message>
    <message>
        <source>{problem} Press Save again to go on without storing it, or Cancel.</source>
        <translation>{problem} 保存せずに続けるにはもう一度「保存」を、やめるには「キャンセル」を押してください。</translation>
    </message>
</context>
<context>
    <name>SourcesPanel</name>
    <message>
        <source>p. {page}</source>
        <translation>{page} ページ</translation>
    </message>
    <message>
        <source>How this passage was found:
rerank: the reranker&apos;s judgement of how well the passage answers the question (0 to 1; higher is better).
dense: similarity in meaning between the question and the passage (embeddings; higher is better).
BM25: keyword match, weighing rare words more (higher is better).
fused: dense and BM25 combined by their ranks; the order used when there is no reranker.
(#n) is the passage&apos;s rank in that search alone.</source>
        <translation>この箇所が見つかった根拠:
再ランキング: 質問への答えとしてどれだけ適切かを再ランキングモデルが判定した値 (0〜1、高いほど適切)。
ベクトル: 質問と箇所の意味の近さ (埋め込みによる、高いほど近い)。
BM25: キーワードの一致度。珍しい語ほど重く数えます (高いほど一致)。
統合: ベクトルと BM25 を順位で統合した値。再ランキングモデルがないときはこの順に並びます。
(#n) はその検索だけで見たときの順位です。</translation>
    </message>
    <message>
        <source>{path}
Cited by the answer (shown in bold; ★ in the chat)</source>
        <translation>{path}
回答で引用されています (太字で表示、チャットでは ★)</translation>
    </message>
    <message>
        <source>Sources</source>
        <translation>出典</translation>
    </message>
    <message>
        <source>Open</source>
        <translation>開く</translation>
    </message>
    <message>
        <source>Open the file, at the passage&apos;s page or line where its viewer allows</source>
        <translation>ファイルを開きます (ビューアーが対応していれば該当のページや行から)</translation>
    </message>
    <message>
        <source>Show in folder</source>
        <translation>フォルダーで表示</translation>
    </message>
    <message>
        <source>Sources ({n})</source>
        <translation>出典 ({n})</translation>
    </message>
    <message>
        <source>Click a citation such as [1] to see the passage it points to.</source>
        <translation>[1] のような引用番号をクリックすると、その箇所が表示されます。</translation>
    </message>
    <message>
        <source>Source [{n}]</source>
        <translation>出典 [{n}]</translation>
    </message>
    <message>
        <source>page {page}</source>
        <translation>{page} ページ</translation>
    </message>
</context>
<context>
    <name>StateWords</name>
    <message>
        <source>Nothing can be searched until the embedding model is here: the index is built with it.</source>
        <translation>埋め込みモデルが揃うまでは何も検索できません (インデックスはこのモデルで作られます)。</translation>
    </message>
    <message>
        <source>Keyword search already works on the files read so far.</source>
        <translation>読み込み済みのファイルは、すでにキーワード検索できます。</translation>
    </message>
    <message>
        <source>Keyword search works on your folders meanwhile.</source>
        <translation>その間も、フォルダーの内容はキーワード検索できます。</translation>
    </message>
    <message>
        <source>Keyword search starts as soon as your folders are read.</source>
        <translation>フォルダーを読み込み次第、キーワード検索が使えるようになります。</translation>
    </message>
    <message>
        <source>Meanwhile, add a folder: keyword search works as soon as its files are read.</source>
        <translation>その間にフォルダーを追加しておけば、ファイルを読み込み次第キーワード検索が使えます。</translation>
    </message>
    <message>
        <source>Tansaku needs its language models on this computer: {models}. Download them once (an interrupted download resumes), or use folders you already have. {hint}</source>
        <translation>Tansaku の言語モデルをこのコンピューターに用意する必要があります: {models}。一度ダウンロードするか (中断しても再開できます)、お手元のモデルフォルダーを指定してください。{hint}</translation>
    </message>
    <message>
        <source>Starting the download…</source>
        <translation>ダウンロードを開始しています…</translation>
    </message>
    <message>
        <source>Downloading &lt;b&gt;{model}&lt;/b&gt;: {done} of {total}</source>
        <translation>&lt;b&gt;{model}&lt;/b&gt; をダウンロード中: {total} 中 {done}</translation>
    </message>
    <message>
        <source>Loading the models…</source>
        <translation>モデルを読み込んでいます…</translation>
    </message>
    <message>
        <source>&lt;b&gt;The index could not be opened.&lt;/b&gt; {message}</source>
        <translation>&lt;b&gt;インデックスを開けませんでした。&lt;/b&gt; {message}</translation>
    </message>
    <message>
        <source>&lt;b&gt;The models could not be loaded.&lt;/b&gt; {message} {hint}</source>
        <translation>&lt;b&gt;モデルを読み込めませんでした。&lt;/b&gt; {message} {hint}</translation>
    </message>
    <message>
        <source>Results are ranked by keyword + meaning until then.</source>
        <translation>それまでは、キーワードと意味の両方で順位付けします。</translation>
    </message>
    <message>
        <source>The reranker {model} is not downloaded: download it for sharper ranking. {fused}</source>
        <translation>リランカー {model} がダウンロードされていません。より的確な順位付けにはダウンロードしてください。{fused}</translation>
    </message>
    <message>
        <source>Starting the reranker&apos;s download…</source>
        <translation>リランカーのダウンロードを開始しています…</translation>
    </message>
    <message>
        <source>&lt;b&gt;The reranker could not be loaded.&lt;/b&gt; {message} Results are ranked by keyword + meaning.</source>
        <translation>&lt;b&gt;リランカーを読み込めませんでした。&lt;/b&gt; {message} 結果はキーワードと意味の両方で順位付けしています。</translation>
    </message>
    <message>
        <source>keyword search only</source>
        <translation>キーワード検索のみ</translation>
    </message>
    <message>
        <source>nothing searchable yet</source>
        <translation>まだ検索できません</translation>
    </message>
    <message>
        <source>Models: not downloaded</source>
        <translation>モデル: 未ダウンロード</translation>
    </message>
    <message>
        <source>Models: downloading…</source>
        <translation>モデル: ダウンロード中…</translation>
    </message>
    <message>
        <source>Models: failed to load</source>
        <translation>モデル: 読み込み失敗</translation>
    </message>
    <message>
        <source>Models: ready · no reranker (ranked by keyword + meaning)</source>
        <translation>モデル: 準備完了 · リランカーなし (キーワード + 意味で順位付け)</translation>
    </message>
    <message>
        <source>Models: ready · downloading the reranker…</source>
        <translation>モデル: 準備完了 · リランカーをダウンロード中…</translation>
    </message>
    <message>
        <source>Models: ready · loading the reranker…</source>
        <translation>モデル: 準備完了 · リランカーを読み込み中…</translation>
    </message>
    <message>
        <source>Models: ready · reranker failed (ranked by keyword + meaning)</source>
        <translation>モデル: 準備完了 · リランカー読み込み失敗 (キーワード + 意味で順位付け)</translation>
    </message>
    <message>
        <source>Models: ready · reranking off</source>
        <translation>モデル: 準備完了 · リランキングはオフ</translation>
    </message>
    <message>
        <source>Models: ready</source>
        <translation>モデル: 準備完了</translation>
    </message>
    <message>
        <source>Models: starting…</source>
        <translation>モデル: 起動中…</translation>
    </message>
    <message>
        <source>Models: checking…</source>
        <translation>モデル: 確認中…</translation>
    </message>
    <message>
        <source>Models: loading…</source>
        <translation>モデル: 読み込み中…</translation>
    </message>
    <message>
        <source>Index: not open</source>
        <translation>インデックス: 未オープン</translation>
    </message>
    <message>
        <source>No folders yet: add a folder (Ctrl+O, or drop it on the window), then ask again.</source>
        <translation>まだフォルダーがありません。フォルダーを追加してから (Ctrl+O、またはウィンドウにドロップ)、もう一度質問してください。</translation>
    </message>
    <message>
        <source>Nothing is searchable yet: Tansaku needs the embedding model to build the index. Download it above, or choose a model folder in Settings → Models.</source>
        <translation>まだ何も検索できません。インデックスを作るには埋め込みモデルが必要です。上のボタンでダウンロードするか、設定 → モデルでモデルフォルダーを指定してください。</translation>
    </message>
    <message>
        <source>Your folders are still being read: nothing is searchable yet. Ask again in a moment.</source>
        <translation>フォルダーを読み込んでいるところで、まだ検索できるものがありません。少し待ってからもう一度質問してください。</translation>
    </message>
    <message>
        <source>Keyword search only: the embedding model is not loaded, so these passages were found by their words.</source>
        <translation>キーワード検索のみ: 埋め込みモデルが読み込まれていないため、これらの箇所は語句の一致で見つけたものです。</translation>
    </message>
    <message>
        <source>Keyword search only: no passage contains these words. Once the embedding model is loaded, search by meaning may find more.</source>
        <translation>キーワード検索のみ: これらの語句を含む箇所はありません。埋め込みモデルを読み込めば、意味での検索で見つかるかもしれません。</translation>
    </message>
    <message>
        <source>Indexing is still running: results cover the files read so far.</source>
        <translation>インデックス作成中: 結果は読み込み済みのファイルだけが対象です。</translation>
    </message>
    <message>
        <source>AUTO</source>
        <translation>自動</translation>
    </message>
    <message>
        <source>Device: {device}</source>
        <translation>デバイス: {device}</translation>
    </message>
    <message>
        <source>OpenVINO could not be used, so embedding runs on PyTorch (see Settings → Models).</source>
        <translation>OpenVINO を使えなかったため、埋め込みは PyTorch で実行しています (設定 → モデル を参照)。</translation>
    </message>
</context>
<context>
    <name>TurnView</name>
    <message>
        <source>&lt;b&gt;Search only&lt;/b&gt; — no API key is set, so these are the best-matching passages, not a written answer. &lt;a href=&quot;{link}&quot;&gt;Add a key in Settings&lt;/a&gt; (Ctrl+,) to get answers.</source>
        <translation>&lt;b&gt;検索のみ&lt;/b&gt; — API キーが設定されていないため、文章による回答ではなく、最も一致した箇所を表示しています。回答を得るには&lt;a href=&quot;{link}&quot;&gt;設定でキーを追加&lt;/a&gt; (Ctrl+,) してください。</translation>
    </message>
    <message>
        <source>&lt;b&gt;Not in your documents&lt;/b&gt; — nothing relevant enough was found to answer this.</source>
        <translation>&lt;b&gt;ドキュメントに見つかりません&lt;/b&gt; — この質問に答えられるほど関連する箇所が見つかりませんでした。</translation>
    </message>
    <message>
        <source>&lt;b&gt;Stopped.&lt;/b&gt;</source>
        <translation>&lt;b&gt;中止しました。&lt;/b&gt;</translation>
    </message>
    <message>
        <source>&lt;b&gt;The answer could not be generated.&lt;/b&gt; {error}</source>
        <translation>&lt;b&gt;回答を生成できませんでした。&lt;/b&gt; {error}</translation>
    </message>
    <message>
        <source>&lt;p&gt;&lt;b&gt;Sources found:&lt;/b&gt;&lt;/p&gt;</source>
        <translation>&lt;p&gt;&lt;b&gt;見つかった出典:&lt;/b&gt;&lt;/p&gt;</translation>
    </message>
    <message>
        <source>&lt;p&gt;The closest passages were:&lt;/p&gt;</source>
        <translation>&lt;p&gt;最も近い箇所は次のとおりです:&lt;/p&gt;</translation>
    </message>
    <message>
        <source>Cites {numbers}, which is not among the {sources}.</source>
        <translation>{numbers} を引用していますが、{sources}の中にはありません。</translation>
    </message>
    <message>
        <source>Cites {numbers}, which are not among the {sources}.</source>
        <translation>{numbers} を引用していますが、{sources}の中にはありません。</translation>
    </message>
    <message>
        <source>No citations: this answer may not come from your documents.</source>
        <translation>引用がありません: この回答はドキュメントに基づいていない可能性があります。</translation>
    </message>
    <message>
        <source>Reranker not available: ranked by keyword + meaning.</source>
        <translation>再ランキングモデルを使用できません: キーワードと意味の検索を組み合わせて順位付けしました。</translation>
    </message>
    <message>
        <source>★ marks a passage the answer cites. Click a number such as [1] to see the passage, its file and its scores in the Sources panel.</source>
        <translation>★ は回答が引用している箇所です。[1] のような番号をクリックすると、出典パネルにその箇所とファイル、スコアが表示されます。</translation>
    </message>
    <message>
        <source>Found {passages} · ranking them…</source>
        <translation>{passages}が見つかりました · 並べ替え中…</translation>
    </message>
    <message>
        <source>Searching your documents…</source>
        <translation>ドキュメントを検索しています…</translation>
    </message>
    <message>
        <source>Found {passages} · writing the answer…</source>
        <translation>{passages}が見つかりました · 回答を作成中…</translation>
    </message>
    <message>
        <source>{n} cited</source>
        <translation>引用 {n} 件</translation>
    </message>
    <message>
        <source>Searched for:</source>
        <translation>検索した語句:</translation>
    </message>
    <message>
        <source>The follow-up was rewritten from the earlier turns into this search. Edit it and press Enter to search again.</source>
        <translation>追加の質問は、それまでのやり取りをもとにこの検索語句に書き換えられました。編集して Enter を押すと再検索します。</translation>
    </message>
    <message>
        <source>Search again</source>
        <translation>再検索</translation>
    </message>
    <message>
        <source>Download</source>
        <translation>ダウンロード</translation>
    </message>
    <message>
        <source>Download the reranker model; later questions are then ranked by it</source>
        <translation>再ランキングモデルをダウンロードします。以降の質問はこのモデルで順位付けされます</translation>
    </message>
    <message>
        <source>{reason}. Without the reranker, passages are ordered by combining keyword (BM25) and meaning (dense) search.</source>
        <translation>{reason}。再ランキングモデルがない間は、キーワード (BM25) と意味 (ベクトル) の検索を組み合わせて箇所を並べます。</translation>
    </message>
    <message>
        <source>Copy the answer</source>
        <translation>回答をコピー</translation>
    </message>
</context>
<context>
    <name>Words</name>
    <message>
        <source>{n} file</source>
        <translation>{n} 件のファイル</translation>
    </message>
    <message>
        <source>{n} files</source>
        <translation>{n} 件のファイル</translation>
    </message>
    <message>
        <source>{n} chunk</source>
        <translation>{n} 個のチャンク</translation>
    </message>
    <message>
        <source>{n} chunks</source>
        <translation>{n} 個のチャンク</translation>
    </message>
    <message>
        <source>{n} folder</source>
        <translation>{n} 個のフォルダー</translation>
    </message>
    <message>
        <source>{n} folders</source>
        <translation>{n} 個のフォルダー</translation>
    </message>
    <message>
        <source>{n} passage</source>
        <translation>{n} 件の該当箇所</translation>
    </message>
    <message>
        <source>{n} passages</source>
        <translation>{n} 件の該当箇所</translation>
    </message>
    <message>
        <source>{n} source</source>
        <translation>{n} 件の出典</translation>
    </message>
    <message>
        <source>{n} sources</source>
        <translation>{n} 件の出典</translation>
    </message>
    <message>
        <source>unknown size</source>
        <translation>サイズ不明</translation>
    </message>
    <message>
        <source>{s} s</source>
        <translation>{s} 秒</translation>
    </message>
    <message>
        <source>{m} min {s:02d} s</source>
        <translation>{m} 分 {s} 秒</translation>
    </message>
    <message>
        <source>{m} min</source>
        <translation>{m} 分</translation>
    </message>
    <message>
        <source>{h} h {m:02d} min</source>
        <translation>{h} 時間 {m} 分</translation>
    </message>
    <message>
        <source>never</source>
        <translation>未実行</translation>
    </message>
    <message>
        <source>just now</source>
        <translation>たった今</translation>
    </message>
    <message>
        <source>{n} min ago</source>
        <translation>{n} 分前</translation>
    </message>
    <message>
        <source>{n} h ago</source>
        <translation>{n} 時間前</translation>
    </message>
    <message>
        <source>Looking for new and changed files…</source>
        <translation>新規・変更されたファイルを探しています…</translation>
    </message>
    <message>
        <source>{done} / {total} files</source>
        <translation>{done} / {total} ファイル</translation>
    </message>
    <message>
        <source>{rate} files/s</source>
        <translation>{rate} ファイル/秒</translation>
    </message>
    <message>
        <source>under 0.1 files/min</source>
        <translation>0.1 ファイル/分未満</translation>
    </message>
    <message>
        <source>{rate} files/min</source>
        <translation>{rate} ファイル/分</translation>
    </message>
    <message>
        <source>{rate} · about {time} left</source>
        <translation>{rate} · 残り約 {time}</translation>
    </message>
    <message>
        <source>rerank {score}</source>
        <translation>再ランキング {score}</translation>
    </message>
    <message>
        <source>dense {score}</source>
        <translation>ベクトル {score}</translation>
    </message>
    <message>
        <source>fused {score}</source>
        <translation>統合 {score}</translation>
    </message>
    <message>
        <source>no scores</source>
        <translation>スコアなし</translation>
    </message>
    <message>
        <source>The index&apos;s file list was damaged and has been rebuilt from the index: {files} recovered.</source>
        <translation>インデックスのファイル一覧が破損していたため、インデックスから再構築しました: {files}を復元しました。</translation>
    </message>
    <message>
        <source>{folder}: removed the index of {files} no longer in the folder.</source>
        <translation>{folder}: フォルダーからなくなった {files}のインデックスを削除しました。</translation>
    </message>
    <message>
        <source>{folder}: {files} missing from the index will be indexed again.</source>
        <translation>{folder}: インデックスから欠けていた {files}を再インデックスします。</translation>
    </message>
    <message>
        <source>Removed what was left of the index of {folder}, a library you had removed.</source>
        <translation>削除済みのライブラリ「{folder}」に残っていたインデックスを削除しました。</translation>
    </message>
    <message>
        <source>Index repaired ({kind}).</source>
        <translation>インデックスを修復しました ({kind})。</translation>
    </message>
</context>
</TS>
