package web

import (
	"net/http"
	"strconv"
	"strings"
)

// Languages the pages speak. Vietnamese comes first: it is what the clerks
// who use the gateway read, so it is the answer when nothing else is asked.
const (
	langVI      = "vi"
	langEN      = "en"
	defaultLang = langVI
)

// langCookie remembers a choice made with ?lang= so that the next page (and
// the form post, which carries no query) stays in that language.
const langCookie = "docgate_lang"

// chooseLang picks the language of a response: an explicit ?lang= first, then
// the cookie set by an earlier choice, then the browser's Accept-Language,
// then Vietnamese. It reports whether the query asked, so the caller can
// remember the choice in a cookie.
func chooseLang(r *http.Request) (lang string, fromQuery bool) {
	if q := r.URL.Query().Get("lang"); q != "" {
		if l, ok := supported(q); ok {
			return l, true
		}
	}
	if c, err := r.Cookie(langCookie); err == nil {
		if l, ok := supported(c.Value); ok {
			return l, false
		}
	}
	if l, ok := fromAcceptLanguage(r.Header.Get("Accept-Language")); ok {
		return l, false
	}
	return defaultLang, false
}

// supported maps a language tag (vi, vi-VN, en-GB, EN) onto a language we
// have messages for.
func supported(tag string) (string, bool) {
	primary, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(tag)), "-")
	if _, ok := messages[primary]; ok {
		return primary, true
	}
	return "", false
}

// fromAcceptLanguage returns the supported language the browser weights
// highest (RFC 9110 quality values); ties keep the browser's order.
func fromAcceptLanguage(h string) (string, bool) {
	best, bestQ := "", 0.0
	for _, item := range strings.Split(h, ",") {
		tag, params, _ := strings.Cut(item, ";")
		q := 1.0
		if k, v, ok := strings.Cut(strings.TrimSpace(params), "="); ok && strings.TrimSpace(k) == "q" {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil {
				continue
			}
			q = f
		}
		l, ok := supported(tag)
		if !ok || q <= 0 || q <= bestQ {
			continue
		}
		best, bestQ = l, q
	}
	return best, best != ""
}

// messages holds every word the pages show, one table per language, so that
// a translator works in one place and a test can check that both tables have
// the same keys. Keys for report vocabulary are the report's own codes
// (ind.TOTAL_PASSED, sub.HASH_FAILURE...), looked up with a fallback to the
// code itself for codes a newer verifier may add.
var messages = map[string]map[string]string{
	langVI: {
		"lang.name":        "Tiếng Việt",
		"lang.switch":      "English",
		"lang.switch.code": "en",
		"product":          "docgate",
		"product.tagline":  "Cổng trao đổi văn bản điện tử",
		"nav.verify":       "Kiểm tra văn bản",
		"skip":             "Bỏ qua, đến nội dung chính",

		"verify.title":   "Kiểm tra chữ ký số trên văn bản",
		"verify.lead":    "Chọn tệp PDF đã ký để biết văn bản có còn nguyên vẹn, ai đã ký, ký lúc nào, và có bị sửa sau khi ký hay không. Cũng kiểm tra được biên nhận (.p7s) do cổng cấp. Không cần tài khoản.",
		"verify.file":    "Tệp PDF",
		"verify.drop":    "Kéo tệp PDF vào đây, hoặc bấm để chọn tệp",
		"verify.limit":   "Tối đa %s. Tệp chỉ dùng để kiểm tra và bị xoá ngay sau đó.",
		"verify.submit":  "Kiểm tra",
		"verify.again":   "Kiểm tra tệp khác",
		"verify.chosen":  "Đã chọn:",
		"verify.private": "Trang này không gửi tệp của bạn đi đâu khác ngoài cổng này.",

		"err.nofile":      "Chưa có tệp nào được chọn. Hãy chọn một tệp PDF rồi bấm “Kiểm tra”.",
		"err.empty":       "Tệp “%s” rỗng (0 byte). Hãy chọn đúng tệp PDF đã ký.",
		"err.notpdf":      "Tệp “%s” không phải là PDF (không bắt đầu bằng %%PDF-) cũng không phải là biên nhận. Hãy chọn tệp PDF.",
		"err.unreadable":  "Không đọc được tệp “%s” như một văn bản PDF: %s",
		"err.toolarge":    "Tệp quá lớn: tối đa %s. Hãy liên hệ quản trị viên nếu cần kiểm tra tệp lớn hơn.",
		"err.badform":     "Biểu mẫu gửi lên không hợp lệ. Hãy tải lại trang và thử lại.",
		"err.busy":        "Cổng đang bận kiểm tra các tệp khác. Hãy thử lại sau ít phút.",
		"err.timeout":     "Kiểm tra tệp này mất quá nhiều thời gian và đã bị dừng.",
		"err.internal":    "Đã có lỗi trong cổng khi kiểm tra tệp. Hãy báo mã yêu cầu %s cho quản trị viên.",
		"err.notfound":    "Không có trang này.",
		"err.notfound.h":  "Không tìm thấy trang",
		"err.method":      "Trang này không nhận yêu cầu kiểu này.",
		"err.title":       "Có lỗi",
		"report.title":    "Kết quả kiểm tra",
		"report.file":     "Tệp",
		"report.size":     "Dung lượng",
		"report.sha256":   "Mã băm SHA-256",
		"report.revs":     "Số lần lưu (phiên bản)",
		"report.repaired": "Bảng tham chiếu chéo của tệp bị hỏng và đã phải dựng lại khi đọc.",
		"report.doc":      "Văn bản",
		"report.docerrs":  "Vấn đề khi đọc văn bản",

		"verdict.VALID":              "HỢP LỆ",
		"verdict.VALID.text":         "Mọi chữ ký đều đúng, người ký được tin cậy, và văn bản không bị sửa sau khi ký (ngoài những gì chữ ký cho phép).",
		"verdict.INVALID":            "KHÔNG HỢP LỆ",
		"verdict.INVALID.text":       "Văn bản đã bị sửa sau khi ký, hoặc có chữ ký bị giả mạo hay hỏng. Không nên tin nội dung văn bản này.",
		"verdict.INDETERMINATE":      "CHƯA XÁC ĐỊNH ĐƯỢC",
		"verdict.INDETERMINATE.text": "Chữ ký còn nguyên vẹn, nhưng chưa xác nhận được người ký là đáng tin cậy, chứng thư còn hiệu lực, hoặc thời điểm ký. Xem chi tiết bên dưới.",
		"verdict.UNSIGNED":           "CHƯA KÝ",
		"verdict.UNSIGNED.text":      "Văn bản này không có chữ ký số nào.",
		"verdict.label":              "Kết luận",

		"mod.title":     "Thay đổi sau khi ký",
		"mod.NONE":      "Không có gì thay đổi sau chữ ký cuối cùng.",
		"mod.PERMITTED": "Chỉ có những thay đổi mà chữ ký cho phép (ví dụ thêm chữ ký, dấu thời gian, dữ liệu kiểm tra dài hạn).",
		"mod.ILLEGAL":   "Có thay đổi mà chữ ký KHÔNG cho phép: nội dung có thể khác với lúc ký.",
		"mod.changes":   "Những gì đã thay đổi:",
		"mod.nochanges": "Không có thay đổi nào được ghi nhận.",
		"empty.title":   "Ô chữ ký còn trống",
		"empty.none":    "Không có ô chữ ký nào còn trống.",
		"empty.text":    "Những ô chữ ký này chưa được ký:",

		"sig.title":      "Các chữ ký",
		"sig.none":       "Không có chữ ký nào.",
		"sig.n":          "Chữ ký %d",
		"sig.ts.n":       "Dấu thời gian %d",
		"sig.field":      "Ô chữ ký",
		"sig.signer":     "Người ký",
		"sig.org":        "Cơ quan, tổ chức",
		"sig.code":       "Mã định danh cơ quan",
		"sig.time":       "Thời điểm ký",
		"sig.timesource": "Nguồn thời gian",
		"sig.chain":      "Chuỗi chứng thư",
		"sig.result":     "Kết quả",
		"sig.detail":     "Chi tiết",
		"sig.intact":     "Toàn vẹn",
		"sig.intact.yes": "Có: nội dung được ký khớp với chữ ký.",
		"sig.intact.no":  "Không: nội dung được ký không khớp với chữ ký.",
		"sig.coverage":   "Phạm vi ký",
		"sig.modafter":   "Thay đổi sau chữ ký này",
		"sig.level":      "Mức PAdES",
		"sig.revocation": "Tình trạng thu hồi",
		"sig.revision":   "Phiên bản",
		"sig.errors":     "Ghi chú của bộ kiểm tra",
		"sig.unknown":    "không rõ",
		"sig.vntime":     "giờ Việt Nam",

		"kind.signature": "Chữ ký",
		"kind.timestamp": "Dấu thời gian của văn bản",

		"ts.timestamp":  "dấu thời gian của tổ chức cấp dấu thời gian (đáng tin cậy)",
		"ts.claimed":    "do máy của người ký tự khai (chưa được xác nhận)",
		"ts.validation": "chữ ký không ghi thời điểm; đánh giá theo thời điểm kiểm tra",

		"ind.TOTAL_PASSED":         "Đạt",
		"ind.TOTAL_PASSED.changed": "Chữ ký đúng, nhưng văn bản đã bị sửa sau khi ký",
		"ind.TOTAL_FAILED":         "Không đạt",
		"ind.INDETERMINATE":        "Chưa xác định được",

		"sub.HASH_FAILURE":                      "Nội dung đã bị thay đổi sau khi ký: mã băm không khớp.",
		"sub.SIG_CRYPTO_FAILURE":                "Chữ ký không khớp với khoá của người ký.",
		"sub.REVOKED":                           "Chứng thư của người ký đã bị thu hồi.",
		"sub.FORMAT_FAILURE":                    "Chữ ký sai định dạng, có thể bị giả mạo.",
		"sub.NOT_YET_VALID":                     "Chứng thư chưa có hiệu lực vào lúc ký.",
		"sub.NO_CERTIFICATE_CHAIN_FOUND":        "Không tìm thấy chuỗi chứng thư đến một tổ chức chứng thực được tin cậy.",
		"sub.OUT_OF_BOUNDS_NO_POE":              "Chứng thư đã hết hạn và không có bằng chứng rằng chữ ký được tạo trước đó.",
		"sub.OUT_OF_BOUNDS_NOT_REVOKED":         "Chứng thư đã hết hạn (nhưng không bị thu hồi).",
		"sub.REVOKED_NO_POE":                    "Chứng thư đã bị thu hồi và không có bằng chứng rằng chữ ký được tạo trước đó.",
		"sub.TRY_LATER":                         "Chưa lấy được thông tin thu hồi chứng thư; hãy thử lại sau.",
		"sub.SIGNED_DATA_NOT_FOUND":             "Không tìm thấy phần dữ liệu được ký.",
		"sub.CHAIN_CONSTRAINTS_FAILURE":         "Chuỗi chứng thư không đáp ứng các ràng buộc (mục đích sử dụng, giới hạn).",
		"sub.REVOCATION_OUT_OF_BOUNDS_NO_POE":   "Thông tin thu hồi nằm ngoài thời gian hiệu lực của chứng thư.",
		"sub.CRYPTO_CONSTRAINTS_FAILURE":        "Thuật toán mật mã của chữ ký không còn được chấp nhận.",
		"sub.CRYPTO_CONSTRAINTS_FAILURE_NO_POE": "Thuật toán mật mã của chữ ký không còn được chấp nhận và không có bằng chứng thời gian.",
		"sub.NO_SIGNING_CERTIFICATE_FOUND":      "Không tìm thấy chứng thư của người ký trong chữ ký.",
		"sub.EXPIRED":                           "Chứng thư đã hết hạn.",

		"cov.ENTIRE_FILE":                 "Toàn bộ tệp",
		"cov.ENTIRE_REVISION":             "Toàn bộ phiên bản lúc ký (có nội dung được thêm sau đó)",
		"cov.CONTIGUOUS_BLOCK_FROM_START": "Một phần liền từ đầu tệp",
		"cov.UNCLEAR":                     "Không rõ: phạm vi ký bất thường",

		"smod.NONE":         "Không có",
		"smod.LTA_UPDATES":  "Chỉ thêm dữ liệu kiểm tra dài hạn hoặc dấu thời gian",
		"smod.FORM_FILLING": "Điền biểu mẫu hoặc ký thêm",
		"smod.ANNOTATIONS":  "Thêm ghi chú",
		"smod.OTHER":        "Thay đổi khác (không được phép)",

		"rev.good":    "Còn hiệu lực, không bị thu hồi",
		"rev.revoked": "Đã bị thu hồi",
		"rev.unknown": "Không kiểm tra được",

		"receipt.title":        "Biên nhận",
		"receipt.valid":        "BIÊN NHẬN HỢP LỆ",
		"receipt.valid.text":   "Biên nhận do cổng ký bằng con dấu điện tử của cổng, chữ ký đúng và chứng thư được tin cậy. Nội dung bên dưới là điều biên nhận chứng minh.",
		"receipt.invalid":      "BIÊN NHẬN KHÔNG HỢP LỆ",
		"receipt.invalid.text": "Không thể tin biên nhận này: chữ ký hoặc chứng thư của con dấu không kiểm tra được.",
		"receipt.problem":      "Lý do",
		"receipt.eventtime":    "Thời điểm sự kiện",
		"receipt.submitted":    "Thời điểm gửi văn bản",
		"receipt.sender":       "Cơ quan gửi",
		"receipt.recipients":   "Cơ quan nhận",
		"receipt.number":       "Số, ký hiệu",
		"receipt.subject":      "Trích yếu",
		"receipt.status":       "Trạng thái xử lý",
		"receipt.reason":       "Lý do",
		"receipt.parts":        "Các tệp được biên nhận",
		"receipt.parts.text":   "Mã băm SHA-256 của tệp bạn đang giữ phải trùng với mã dưới đây (trang kiểm tra văn bản hiển thị mã băm của tệp PDF).",
		"receipt.proof":        "Chứng cứ",
		"receipt.signer":       "Ký bởi (con dấu của cổng)",
		"receipt.timestamp":    "Dấu thời gian",
		"receipt.notimestamp":  "Chưa có (biên nhận được ký khi dịch vụ cấp dấu thời gian gián đoạn; sẽ được bổ sung sau)",
		"receipt.issuer":       "Đơn vị phát hành",
		"receipt.id":           "Mã biên nhận",
		"receipt.document":     "Mã văn bản trên cổng",
		"receipt.previous":     "Biên nhận trước đó",
		"receipt.policy":       "Chính sách chứng cứ",
		"receipt.event":        "Sự kiện (ETSI EN 319 522)",

		"event.SubmissionAcceptance":           "Cổng đã nhận văn bản gửi đi",
		"event.SubmissionAcceptance.text":      "Văn bản đã được cổng kiểm tra và chấp nhận để chuyển đến các cơ quan nhận.",
		"event.SubmissionRejection":            "Cổng từ chối văn bản gửi đi",
		"event.SubmissionRejection.text":       "Văn bản không được chấp nhận; lý do ghi bên dưới.",
		"event.ContentConsignment":             "Văn bản đã đến hộp thư của cơ quan nhận",
		"event.ContentConsignment.text":        "Cơ quan nhận đã có thể thấy và tải văn bản.",
		"event.ContentConsignmentFailure":      "Không chuyển được văn bản",
		"event.ContentConsignmentFailure.text": "Cổng không chuyển được văn bản đến cơ quan nhận sau nhiều lần thử; lý do ghi bên dưới.",
		"event.ContentHandover":                "Cơ quan nhận đã tải văn bản",
		"event.ContentHandover.text":           "Cơ quan nhận đã tải văn bản về và xác nhận đã nhận.",
		"event.ConsignmentAcceptance":          "Cơ quan nhận đã tiếp nhận văn bản",
		"event.ConsignmentAcceptance.text":     "Văn bản đã được vào sổ văn bản đến của cơ quan nhận.",
		"event.ConsignmentRejection":           "Cơ quan nhận từ chối văn bản",
		"event.ConsignmentRejection.text":      "Cơ quan nhận trả lại văn bản; lý do ghi bên dưới.",
		"event.ProcessingStatus":               "Cơ quan nhận báo trạng thái xử lý",
		"event.ProcessingStatus.text":          "",
		"event.Recall":                         "Văn bản được thu hồi",
		"event.Recall.text":                    "Cơ quan gửi đã thu hồi văn bản.",

		"err.noreceipts":         "Tệp “%s” không phải là PDF; nếu đây là biên nhận, cổng này chưa được cấu hình để kiểm tra biên nhận.",
		"err.receipt.unreadable": "Tệp “%s” không phải là PDF cũng không phải là biên nhận của cổng.",

		"nav.label":  "Điều hướng",
		"nav.inbox":  "Hộp thư đến",
		"nav.login":  "Đăng nhập",
		"nav.logout": "Đăng xuất",

		"login.title":   "Đăng nhập",
		"login.lead":    "Dành cho văn thư các cơ quan: đăng nhập bằng mã truy cập (token API) do quản trị viên cổng cấp để xem hộp thư đến và lịch sử từng văn bản.",
		"login.token":   "Mã truy cập",
		"login.hint":    "Mã bắt đầu bằng dg_. Mã chỉ được lưu trong trình duyệt này (cookie không đọc được bằng script) cho đến khi đăng xuất.",
		"login.submit":  "Đăng nhập",
		"login.empty":   "Hãy nhập mã truy cập.",
		"login.wrong":   "Mã truy cập không đúng, đã bị thu hồi hoặc cơ quan đang bị tạm dừng.",
		"err.crosssite": "Yêu cầu đến từ một trang web khác nên bị từ chối.",

		"inbox.title":       "Hộp thư đến",
		"inbox.lead":        "Văn bản gửi đến cơ quan, chưa xác nhận đã nhận; mới nhất ở trên.",
		"inbox.empty":       "Không có văn bản nào đang chờ.",
		"inbox.older":       "Văn bản cũ hơn",
		"inbox.q":           "Tìm trong số, ký hiệu, trích yếu",
		"inbox.overdueonly": "Chỉ văn bản quá hạn",
		"inbox.search":      "Tìm",
		"inbox.clear":       "Bỏ lọc",
		"inbox.nomatch":     "Không có văn bản nào khớp.",
		"inbox.window":      "Chỉ tìm trong 1000 văn bản mới nhất của hộp thư.",
		"inbox.forbidden":   "Chỉ tài khoản của một cơ quan mới có hộp thư đến. Hãy mở văn bản theo đường dẫn của nó.",

		"doc.number":       "Số, ký hiệu",
		"doc.subject":      "Trích yếu",
		"doc.from":         "Nơi gửi",
		"doc.to":           "Nơi nhận",
		"doc.received":     "Ngày gửi",
		"doc.submitted":    "Thời điểm gửi",
		"doc.due":          "Hạn xử lý",
		"doc.overdue":      "quá hạn",
		"doc.urgent":       "khẩn",
		"doc.state":        "Tình trạng",
		"doc.docstate":     "Tình trạng văn bản",
		"doc.signatures":   "Chữ ký số",
		"doc.type":         "Loại văn bản",
		"doc.urgency":      "Độ khẩn",
		"doc.signer":       "Người ký",
		"doc.pdf":          "Tệp văn bản",
		"doc.attachment":   "Tệp đính kèm",
		"doc.content":      "Nội dung tóm tắt",
		"doc.timeline":     "Lịch sử văn bản",
		"doc.notimeline":   "Chưa có sự kiện nào.",
		"doc.receipt":      "Tải biên nhận",
		"doc.pending":      "chưa có dấu thời gian",
		"doc.logindex":     "sổ nhật ký, mục",
		"doc.deliveries":   "Các nơi nhận",
		"doc.recipient":    "Nơi nhận",
		"doc.acked":        "Đã tải về lúc",
		"doc.verification": "Kiểm tra chữ ký khi gửi",
		"doc.notfound":     "Không có văn bản này, hoặc bạn không được xem văn bản này.",

		"delivery.pending":      "Chờ tải về",
		"delivery.delivered":    "Đã chuyển đến hệ thống của cơ quan nhận",
		"delivery.failed":       "Chuyển tự động không được (vẫn có trong hộp thư)",
		"delivery.acknowledged": "Đã tải về",
		"delivery.recalled":     "Đã thu hồi",

		"status.received":   "Đã đến",
		"status.rejected":   "Bị từ chối",
		"status.accepted":   "Đã tiếp nhận, vào sổ",
		"status.assigned":   "Đã giao xử lý",
		"status.processing": "Đang xử lý",
		"status.done":       "Đã hoàn thành",

		"docstate.active":   "Đang lưu hành",
		"docstate.recalled": "Đã thu hồi",
		"docstate.replaced": "Đã được thay thế",

		"urgency.normal":  "Thường",
		"urgency.urgent":  "Khẩn",
		"urgency.express": "Thượng khẩn",
		"urgency.flash":   "Hỏa tốc",

		"agencies.title":   "Danh bạ cơ quan",
		"agencies.lead":    "Các cơ quan đăng ký trên cổng, theo mã định danh.",
		"agencies.parent":  "Cơ quan cấp trên (mã)",
		"agencies.status":  "Trạng thái",
		"agencies.any":     "Tất cả",
		"agencies.filter":  "Lọc",
		"agencies.code":    "Mã định danh",
		"agencies.name":    "Tên cơ quan",
		"agencies.since":   "Đăng ký từ",
		"agencies.next":    "Trang sau",
		"agencies.empty":   "Không có cơ quan nào khớp.",
		"agency.active":    "Đang hoạt động",
		"agency.suspended": "Tạm dừng",
		"nav.agencies":     "Cơ quan",
		"act.title":        "Việc của cơ quan nhận",
		"act.ack":          "Xác nhận đã nhận văn bản",
		"act.ack.hint":     "Xác nhận rằng cơ quan đã nhận văn bản: văn bản rời hộp thư đến và cơ quan gửi nhận được biên nhận.",
		"act.status":       "Báo trạng thái xử lý",
		"act.note":         "Ghi chú (bắt buộc khi từ chối)",
		"act.report":       "Gửi trạng thái",
		"act.acked":        "Đã xác nhận nhận văn bản; cơ quan gửi đã nhận được biên nhận.",
		"act.reported":     "Đã báo trạng thái xử lý cho cơ quan gửi.",
		"act.back":         "Quay lại văn bản",

		"notfound.back": "Về trang kiểm tra văn bản",
		"footer":        "docgate: kiểm tra được thực hiện trên máy chủ của cổng; không có dữ liệu nào được gửi ra ngoài.",
	},
	langEN: {
		"lang.name":        "English",
		"lang.switch":      "Tiếng Việt",
		"lang.switch.code": "vi",
		"product":          "docgate",
		"product.tagline":  "Electronic document exchange gateway",
		"nav.verify":       "Verify a document",
		"skip":             "Skip to the main content",

		"verify.title":   "Check the digital signatures on a document",
		"verify.lead":    "Choose a signed PDF to find out whether it is intact, who signed it and when, and whether it was changed after signing. Receipts (.p7s) from the gateway can be checked too. No account needed.",
		"verify.file":    "PDF file",
		"verify.drop":    "Drop a PDF here, or click to choose a file",
		"verify.limit":   "Up to %s. The file is used only for this check and deleted right after.",
		"verify.submit":  "Verify",
		"verify.again":   "Verify another file",
		"verify.chosen":  "Chosen:",
		"verify.private": "This page sends your file nowhere but this gateway.",

		"err.nofile":      "No file was chosen. Choose a PDF file, then press “Verify”.",
		"err.empty":       "The file “%s” is empty (0 bytes). Choose the signed PDF.",
		"err.notpdf":      "The file “%s” is not a PDF (it does not start with %%PDF-) nor a receipt. Choose a PDF file.",
		"err.unreadable":  "The file “%s” cannot be read as a PDF: %s",
		"err.toolarge":    "The file is too large: the limit is %s. Ask the operator if you need to verify larger files.",
		"err.badform":     "The form that was sent is not valid. Reload the page and try again.",
		"err.busy":        "The gateway is busy verifying other files. Try again in a few minutes.",
		"err.timeout":     "Verifying this file took too long and was stopped.",
		"err.internal":    "The gateway failed while verifying the file. Quote request ID %s to the operator.",
		"err.notfound":    "There is no such page.",
		"err.notfound.h":  "Page not found",
		"err.method":      "This page does not accept this kind of request.",
		"err.title":       "Something went wrong",
		"report.title":    "Verification result",
		"report.file":     "File",
		"report.size":     "Size",
		"report.sha256":   "SHA-256 digest",
		"report.revs":     "Saved revisions",
		"report.repaired": "The file's cross-reference table was broken and had to be rebuilt to read it.",
		"report.doc":      "Document",
		"report.docerrs":  "Problems reading the document",

		"verdict.VALID":              "VALID",
		"verdict.VALID.text":         "Every signature is correct, the signers are trusted, and the document was not changed after signing (beyond what the signatures allow).",
		"verdict.INVALID":            "NOT VALID",
		"verdict.INVALID.text":       "The document was changed after signing, or a signature is forged or broken. Do not rely on what this document says.",
		"verdict.INDETERMINATE":      "CANNOT BE CONFIRMED",
		"verdict.INDETERMINATE.text": "The signatures are intact, but it could not be confirmed that the signer is trusted, the certificate was valid, or when it was signed. See the details below.",
		"verdict.UNSIGNED":           "NOT SIGNED",
		"verdict.UNSIGNED.text":      "This document carries no digital signature.",
		"verdict.label":              "Verdict",

		"mod.title":     "Changes after signing",
		"mod.NONE":      "Nothing changed after the last signature.",
		"mod.PERMITTED": "Only changes the signatures allow (for example further signatures, timestamps, long-term validation data).",
		"mod.ILLEGAL":   "There are changes the signatures do NOT allow: the content may differ from what was signed.",
		"mod.changes":   "What changed:",
		"mod.nochanges": "No changes were recorded.",
		"empty.title":   "Empty signature fields",
		"empty.none":    "No signature field is left empty.",
		"empty.text":    "These signature fields are not signed yet:",

		"sig.title":      "Signatures",
		"sig.none":       "There are no signatures.",
		"sig.n":          "Signature %d",
		"sig.ts.n":       "Timestamp %d",
		"sig.field":      "Signature field",
		"sig.signer":     "Signer",
		"sig.org":        "Organisation",
		"sig.code":       "Agency code",
		"sig.time":       "Signing time",
		"sig.timesource": "Source of the time",
		"sig.chain":      "Certificate chain",
		"sig.result":     "Result",
		"sig.detail":     "Details",
		"sig.intact":     "Intact",
		"sig.intact.yes": "Yes: the signed content matches the signature.",
		"sig.intact.no":  "No: the signed content does not match the signature.",
		"sig.coverage":   "What the signature covers",
		"sig.modafter":   "Changes after this signature",
		"sig.level":      "PAdES level",
		"sig.revocation": "Revocation status",
		"sig.revision":   "Revision",
		"sig.errors":     "Notes from the verifier",
		"sig.unknown":    "unknown",
		"sig.vntime":     "Vietnam time",

		"kind.signature": "Signature",
		"kind.timestamp": "Document timestamp",

		"ts.timestamp":  "a timestamp from a timestamp authority (trusted)",
		"ts.claimed":    "claimed by the signer's computer (not confirmed)",
		"ts.validation": "the signature states no time; judged at the time of this check",

		"ind.TOTAL_PASSED":         "Passed",
		"ind.TOTAL_PASSED.changed": "The signature is correct, but the document was changed after it",
		"ind.TOTAL_FAILED":         "Failed",
		"ind.INDETERMINATE":        "Cannot be confirmed",

		"sub.HASH_FAILURE":                      "The content was changed after signing: the digest does not match.",
		"sub.SIG_CRYPTO_FAILURE":                "The signature does not match the signer's key.",
		"sub.REVOKED":                           "The signer's certificate has been revoked.",
		"sub.FORMAT_FAILURE":                    "The signature is malformed and may be forged.",
		"sub.NOT_YET_VALID":                     "The certificate was not yet valid at signing time.",
		"sub.NO_CERTIFICATE_CHAIN_FOUND":        "No certificate chain to a trusted certification authority was found.",
		"sub.OUT_OF_BOUNDS_NO_POE":              "The certificate has expired and nothing proves the signature was made before that.",
		"sub.OUT_OF_BOUNDS_NOT_REVOKED":         "The certificate has expired (but was not revoked).",
		"sub.REVOKED_NO_POE":                    "The certificate was revoked and nothing proves the signature was made before that.",
		"sub.TRY_LATER":                         "Revocation information could not be obtained yet; try again later.",
		"sub.SIGNED_DATA_NOT_FOUND":             "The signed data could not be found.",
		"sub.CHAIN_CONSTRAINTS_FAILURE":         "The certificate chain does not meet its constraints (key usage, limits).",
		"sub.REVOCATION_OUT_OF_BOUNDS_NO_POE":   "The revocation information lies outside the certificate's validity.",
		"sub.CRYPTO_CONSTRAINTS_FAILURE":        "The signature's cryptographic algorithm is no longer accepted.",
		"sub.CRYPTO_CONSTRAINTS_FAILURE_NO_POE": "The signature's cryptographic algorithm is no longer accepted and no proof of time exists.",
		"sub.NO_SIGNING_CERTIFICATE_FOUND":      "The signer's certificate is not in the signature.",
		"sub.EXPIRED":                           "The certificate has expired.",

		"cov.ENTIRE_FILE":                 "The whole file",
		"cov.ENTIRE_REVISION":             "The whole revision at signing time (content was added afterwards)",
		"cov.CONTIGUOUS_BLOCK_FROM_START": "One block from the start of the file",
		"cov.UNCLEAR":                     "Unclear: the signed range is unusual",

		"smod.NONE":         "None",
		"smod.LTA_UPDATES":  "Only long-term validation data or timestamps added",
		"smod.FORM_FILLING": "Form filling or further signatures",
		"smod.ANNOTATIONS":  "Annotations added",
		"smod.OTHER":        "Other changes (not allowed)",

		"rev.good":    "Valid, not revoked",
		"rev.revoked": "Revoked",
		"rev.unknown": "Could not be checked",

		"receipt.title":        "Receipt",
		"receipt.valid":        "VALID RECEIPT",
		"receipt.valid.text":   "The gateway sealed this receipt, the seal's signature is correct and its certificate is trusted. What follows is what the receipt proves.",
		"receipt.invalid":      "RECEIPT NOT VALID",
		"receipt.invalid.text": "Do not rely on this receipt: its signature or the seal's certificate does not check out.",
		"receipt.problem":      "Why",
		"receipt.eventtime":    "Time of the event",
		"receipt.submitted":    "Time the document was sent",
		"receipt.sender":       "Sending agency",
		"receipt.recipients":   "Receiving agencies",
		"receipt.number":       "Number and notation",
		"receipt.subject":      "Subject",
		"receipt.status":       "Processing status",
		"receipt.reason":       "Reason",
		"receipt.parts":        "Files this receipt covers",
		"receipt.parts.text":   "The SHA-256 digest of the file you hold must equal the one below (the document check shows a PDF's digest).",
		"receipt.proof":        "Evidence",
		"receipt.signer":       "Sealed by (the gateway's seal)",
		"receipt.timestamp":    "Timestamp",
		"receipt.notimestamp":  "Not yet (sealed while the timestamp authority was down; it is added later)",
		"receipt.issuer":       "Issuer",
		"receipt.id":           "Receipt ID",
		"receipt.document":     "Document ID on the gateway",
		"receipt.previous":     "Previous receipt",
		"receipt.policy":       "Evidence policy",
		"receipt.event":        "Event (ETSI EN 319 522)",

		"event.SubmissionAcceptance":           "The gateway accepted the document",
		"event.SubmissionAcceptance.text":      "The gateway checked the document and accepted it for delivery to the recipients.",
		"event.SubmissionRejection":            "The gateway refused the document",
		"event.SubmissionRejection.text":       "The document was not accepted; the reason is below.",
		"event.ContentConsignment":             "The document reached the recipient's inbox",
		"event.ContentConsignment.text":        "The recipient can see and download the document.",
		"event.ContentConsignmentFailure":      "The document could not be delivered",
		"event.ContentConsignmentFailure.text": "The gateway could not deliver the document after all retries; the reason is below.",
		"event.ContentHandover":                "The recipient downloaded the document",
		"event.ContentHandover.text":           "The recipient downloaded the document and acknowledged it.",
		"event.ConsignmentAcceptance":          "The recipient accepted the document",
		"event.ConsignmentAcceptance.text":     "The document was entered in the recipient's register of incoming documents.",
		"event.ConsignmentRejection":           "The recipient rejected the document",
		"event.ConsignmentRejection.text":      "The recipient sent the document back; the reason is below.",
		"event.ProcessingStatus":               "The recipient reported a processing status",
		"event.ProcessingStatus.text":          "",
		"event.Recall":                         "The document was recalled",
		"event.Recall.text":                    "The sender recalled the document.",

		"err.noreceipts":         "The file “%s” is not a PDF; if it is a receipt, this gateway is not set up to verify receipts.",
		"err.receipt.unreadable": "The file “%s” is neither a PDF nor a receipt from the gateway.",

		"nav.label":  "Navigation",
		"nav.inbox":  "Inbox",
		"nav.login":  "Sign in",
		"nav.logout": "Sign out",

		"login.title":   "Sign in",
		"login.lead":    "For agency clerks: sign in with the access token (API token) the gateway's operator gave you to see your inbox and each document's history.",
		"login.token":   "Access token",
		"login.hint":    "It starts with dg_. It is kept only in this browser (in a cookie no script can read) until you sign out.",
		"login.submit":  "Sign in",
		"login.empty":   "Enter your access token.",
		"login.wrong":   "The access token is wrong or revoked, or the agency is suspended.",
		"err.crosssite": "The request came from another web site and was refused.",

		"inbox.title":       "Inbox",
		"inbox.lead":        "Documents sent to your agency and not acknowledged yet, newest first.",
		"inbox.empty":       "Nothing is waiting.",
		"inbox.older":       "Older documents",
		"inbox.q":           "Search number and subject",
		"inbox.overdueonly": "Overdue only",
		"inbox.search":      "Search",
		"inbox.clear":       "Clear",
		"inbox.nomatch":     "No document matches.",
		"inbox.window":      "Only the newest 1000 documents of the inbox were searched.",
		"inbox.forbidden":   "Only an agency's account has an inbox. Open a document by its link.",

		"doc.number":       "Number",
		"doc.subject":      "Subject",
		"doc.from":         "From",
		"doc.to":           "To",
		"doc.received":     "Sent on",
		"doc.submitted":    "Sent at",
		"doc.due":          "Due",
		"doc.overdue":      "overdue",
		"doc.urgent":       "urgent",
		"doc.state":        "State",
		"doc.docstate":     "Document state",
		"doc.signatures":   "Signatures",
		"doc.type":         "Document type",
		"doc.urgency":      "Urgency",
		"doc.signer":       "Signed by",
		"doc.pdf":          "Document file",
		"doc.attachment":   "Attachment",
		"doc.content":      "Summary",
		"doc.timeline":     "History",
		"doc.notimeline":   "No events yet.",
		"doc.receipt":      "Download the receipt",
		"doc.pending":      "timestamp pending",
		"doc.logindex":     "log entry",
		"doc.deliveries":   "Recipients",
		"doc.recipient":    "Recipient",
		"doc.acked":        "Downloaded at",
		"doc.verification": "Signature check when it was sent",
		"doc.notfound":     "There is no such document, or you may not see it.",

		"delivery.pending":      "Waiting to be downloaded",
		"delivery.delivered":    "Delivered to the recipient's system",
		"delivery.failed":       "Automatic delivery failed (still in the inbox)",
		"delivery.acknowledged": "Downloaded",
		"delivery.recalled":     "Recalled",

		"status.received":   "Arrived",
		"status.rejected":   "Rejected",
		"status.accepted":   "Accepted and registered",
		"status.assigned":   "Assigned",
		"status.processing": "Being processed",
		"status.done":       "Done",

		"docstate.active":   "In force",
		"docstate.recalled": "Recalled",
		"docstate.replaced": "Replaced",

		"urgency.normal":  "Normal",
		"urgency.urgent":  "Urgent",
		"urgency.express": "Express",
		"urgency.flash":   "Flash",

		"agencies.title":   "Agency directory",
		"agencies.lead":    "The agencies registered on the gateway, by code.",
		"agencies.parent":  "Parent agency (code)",
		"agencies.status":  "Status",
		"agencies.any":     "Any",
		"agencies.filter":  "Filter",
		"agencies.code":    "Code",
		"agencies.name":    "Name",
		"agencies.since":   "Registered",
		"agencies.next":    "Next page",
		"agencies.empty":   "No agency matches.",
		"agency.active":    "Active",
		"agency.suspended": "Suspended",
		"nav.agencies":     "Agencies",
		"act.title":        "The recipient's part",
		"act.ack":          "Acknowledge receipt",
		"act.ack.hint":     "Confirms that your agency has the document: it leaves the inbox and the sender gets a receipt.",
		"act.status":       "Report the processing status",
		"act.note":         "Note (required when rejecting)",
		"act.report":       "Send the status",
		"act.acked":        "Receipt acknowledged; the sender has its receipt.",
		"act.reported":     "The processing status was sent to the sender.",
		"act.back":         "Back to the document",

		"notfound.back": "Back to verifying a document",
		"footer":        "docgate: the check runs on this gateway's server; nothing is sent elsewhere.",
	},
}
